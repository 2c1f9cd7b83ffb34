import { join } from 'node:path';
import type { Plugin } from 'vite';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';
import { type StarterState, starterStates } from '../../engine/course/shipped-starters.ts';

/**
 * The site takes each exercise's starter from exercises/, where instructors and learners work. This
 * Vite plugin answers the workspace's raw imports of those files with the starter as shipped, so a
 * build made after working the exercises still ships the starters. The build stops, naming each file
 * and the fix, when a starter is not recorded or cannot be read back from git.
 */
export function shippedStarters(root = courseRoot): Plugin {
  let starters: Map<string, StarterState> | undefined;
  const starterAt = (file: string) => {
    starters ??= new Map(
      loadCourse(root).flatMap((exercise) =>
        starterStates(exercise).map((state) => [join(root, state.path), state] as const),
      ),
    );
    return starters.get(file);
  };
  return {
    name: 'request-journey:shipped-starters',
    enforce: 'pre',
    // A rebuild in the same process (astro dev) looks again.
    buildStart() {
      starters = undefined;
    },
    load(id) {
      const [file = '', query] = id.split('?');
      if (query !== 'raw') return null;
      const starter = starterAt(file);
      if (starter === undefined) return null;
      if ('problem' in starter) this.error(`The site ships the starters as recorded: ${starter.problem}`);
      if (starter.state === 'edited') {
        this.warn(
          `${starter.path} holds edits; the site ships its shipped starter and leaves your edits alone.`,
        );
      }
      return `export default ${JSON.stringify(starter.text)};`;
    },
  };
}
