/**
 * The learner's explicit theme choice. Without one, the page follows the
 * system setting (CSS light-dark()), so nothing is stored until they choose.
 */

export const themeStorageKey = 'request-journey:v1:theme';

export type Theme = 'light' | 'dark';

export function isTheme(value: unknown): value is Theme {
  return value === 'light' || value === 'dark';
}
