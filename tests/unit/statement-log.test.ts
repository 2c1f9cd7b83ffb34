import { describe, expect, it } from 'vitest';
import { inlinedValue } from '../support/statement-log';

describe('inlinedValue: request values written into SQL text', () => {
  it('finds a number compared in the text, quoted or not', () => {
    expect(inlinedValue('SELECT * FROM products WHERE id = 3', ['3'])).toBe('3');
    expect(inlinedValue("SELECT * FROM products WHERE id = '3'", ['3'])).toBe('3');
    expect(inlinedValue('SELECT * FROM products WHERE id IN (3)', ['3'])).toBe('3');
  });

  it('finds text from the request anywhere in the statement', () => {
    expect(inlinedValue("SELECT * FROM products WHERE category = 'coffee'", ['coffee'])).toBe('coffee');
    const attack = "x' OR '1'='1";
    expect(inlinedValue(`SELECT * FROM products WHERE category = '${attack}'`, [attack])).toBe(attack);
  });

  it('does not take placeholders or numbers that belong to the query for the request value', () => {
    expect(inlinedValue('SELECT * FROM products WHERE id = $1', ['1'])).toBeUndefined();
    expect(inlinedValue('SELECT * FROM products WHERE id = $1 LIMIT 1', ['1'])).toBeUndefined();
    expect(inlinedValue('SELECT * FROM products WHERE id = $1 AND stock > 0', ['0'])).toBeUndefined();
    expect(inlinedValue('SELECT * FROM products WHERE category = $1 ORDER BY 1', ['1'])).toBeUndefined();
  });
});
