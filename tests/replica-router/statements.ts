/**
 * Grader-only: SQL statements written the many ways real code writes them, for
 * task 2. A small grammar builds reads, locking reads, data-modifying CTEs,
 * side-effect functions, several statements in one string and plain writes,
 * dressed in comments, string literals and names that contain write keywords,
 * odd whitespace and any letter case. The verdict comes from a real SQL parser
 * (in the grader); `why` says in words what makes the statement what it is.
 */

import fc from 'fast-check';

export interface GeneratedStatement {
  sql: string;
  params: unknown[];
  /** Why this statement must go where it must, in words. */
  why: string;
  /** For statements the reference parser cannot read: where they must go. */
  route?: 'primary';
}

/** A piece of SQL and the traps it contains, in words. */
interface Piece {
  sql: string;
  traps: string[];
}

const piece = (sql: string, ...traps: string[]): Piece => ({ sql, traps });

const join = (...pieces: Piece[]): Piece => ({
  sql: pieces.map((p) => p.sql).join(''),
  traps: pieces.flatMap((p) => p.traps),
});

/** A keyword (or several, with gaps between them) in any letter case. */
function keyword(words: string, gapBetween: fc.Arbitrary<Piece> = space): fc.Arbitrary<Piece> {
  const parts = words.split(' ');
  const spelled = parts.map((word) =>
    fc.constantFrom(
      word.toUpperCase(),
      word.toLowerCase(),
      word[0]?.toUpperCase() + word.slice(1).toLowerCase(),
      [...word].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join(''),
    ),
  );
  const gaps = parts.slice(1).map(() => gapBetween);
  return fc.tuple(fc.tuple(...spelled), fc.tuple(...gaps)).map(([words, between]) => {
    const out: Piece[] = [];
    words.forEach((word, i) => {
      if (i > 0) out.push(between[i - 1] as Piece);
      out.push(piece(word));
    });
    return join(...out);
  });
}

/** What may separate two tokens: whitespace of any kind, or a comment, which may mention writes. */
const space: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(piece(' '), piece('  '), piece('\n'), piece('\n    '), piece('\t')),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      piece('/**/'),
      piece(' /* product page */ '),
      piece(' /* update later */ ', 'a /* */ comment that says "update"'),
      piece(' -- delete this line\n', 'a -- comment that says "delete"'),
      piece('\n-- for update\n', 'a -- comment that says "for update"'),
    ),
  },
);

/** What may come before a statement. */
const leading: fc.Arbitrary<Piece> = fc.constantFrom(
  piece(''),
  piece(''),
  piece('   '),
  piece('\n\t'),
  piece('/* product page */ '),
  piece('-- insert the product here\n', 'a -- comment before it that says "insert"'),
  piece('/* delete? no */\n', 'a /* */ comment before it that says "delete"'),
);

/** What may come after a statement. */
const trailing: fc.Arbitrary<Piece> = fc.constantFrom(
  piece(''),
  piece(''),
  piece(';'),
  piece(' -- for update'),
  piece('\n/* then insert */', 'a comment after it that says "insert"'),
);

/** A string literal, some of them holding write keywords or comment markers. */
const literal: fc.Arbitrary<Piece> = fc.constantFrom(
  piece("'espresso cup'"),
  piece("'update me'", "the string literal 'update me'"),
  piece("'; DELETE FROM products; --'", "a string literal that holds '; DELETE FROM products; --'"),
  piece("'it''s -- not a comment'", 'a string literal with an escaped quote and --'),
  piece("'/* for update */'", 'a string literal that holds /* for update */'),
  piece('$$ for update $$', 'the dollar-quoted string $$ for update $$'),
  piece('$note$ insert into $note$', 'the dollar-quoted string $note$ insert into $note$'),
);

/** A selected column: names that merely contain write keywords, quoted names that are keywords. */
const column: fc.Arbitrary<Piece> = fc.constantFrom(
  piece('id'),
  piece('name'),
  piece('price_cents'),
  piece('price_cents AS updated_at', 'the column alias updated_at'),
  piece('id AS deleted', 'the column alias deleted'),
  piece('id AS insert_count', 'the column alias insert_count'),
  piece('name AS "update"', 'the quoted name "update"'),
  piece('name AS "for share"', 'the quoted name "for share"'),
  piece('lower(name) AS lowered'),
);

const columns = fc
  .uniqueArray(column, { minLength: 1, maxLength: 3, selector: (c) => c.sql })
  .map((list) => ({ sql: list.map((c) => c.sql).join(', '), traps: list.flatMap((c) => c.traps) }));

const onlyId = fc.constant(piece('id'));

/** A WHERE condition; `withParam` says whether it uses $1. */
const condition = (withParam: boolean): fc.Arbitrary<Piece> =>
  fc.oneof(
    fc.constant(piece(withParam ? 'id = $1' : 'id = 1')),
    literal.map((lit) => join(piece(withParam ? 'id = $1 AND name <> ' : 'name <> '), lit)),
    fc.constant(piece('id IN (SELECT product_id FROM orders)')),
  );

/** SELECT <columns> FROM products WHERE <condition>, every token separated by some gap. */
const select = (withParam: boolean, selected: fc.Arbitrary<Piece> = columns): fc.Arbitrary<Piece> =>
  fc
    .tuple(
      keyword('SELECT'),
      space,
      selected,
      space,
      keyword('FROM'),
      space,
      fc.constant(piece('products')),
      space,
      keyword('WHERE'),
      space,
      condition(withParam),
    )
    .map((parts) => join(...parts));

const statement = (core: fc.Arbitrary<Piece>) =>
  fc.tuple(leading, core, trailing).map(([lead, body, tail]) => join(lead, body, tail));

const finish = (body: Piece, why: (traps: string) => string, route?: 'primary'): GeneratedStatement => {
  const traps = [...new Set(body.traps)];
  const listed = traps.length > 0 ? traps.join(', ') : 'nothing unusual';
  const usesParam = /\$1\b/.test(body.sql);
  return { sql: body.sql, params: usesParam ? [1] : [], why: why(listed), ...(route ? { route } : {}) };
};

/** Plain reads: a replica must answer them, whatever they contain. */
const plainRead = fc
  .oneof(
    statement(select(true)),
    statement(
      fc
        .tuple(keyword('WITH'), space, select(true))
        .map(([w, gap, inner]) =>
          join(w, piece(' recent AS ('), inner, piece(')'), gap, piece('SELECT * FROM recent')),
        ),
    ),
    statement(
      fc
        .tuple(select(false, onlyId), space, keyword('UNION'), space, select(false, onlyId))
        .map((parts) => join(...parts)),
    ),
  )
  .map((body) =>
    finish(
      body,
      (traps) => `it only reads (what might look like a write: ${traps}), so a replica can answer it`,
    ),
  );

const lockStrength = fc.constantFrom('UPDATE', 'NO KEY UPDATE', 'SHARE', 'KEY SHARE');

/** SELECT ... FOR UPDATE / SHARE, at the end or in a subquery. */
const lockingRead = fc
  .oneof(
    fc
      .tuple(
        select(true),
        space,
        keyword('FOR'),
        space,
        lockStrength.chain((strength) => keyword(strength)),
        fc.constantFrom('', ' NOWAIT', ' SKIP LOCKED'),
        trailing,
      )
      .map(([body, gap, f, gap2, strength, wait, tail]) =>
        join(body, gap, f, gap2, strength, piece(wait), tail),
      ),
    fc
      .tuple(leading, keyword('FOR UPDATE'))
      .map(([lead, lock]) =>
        join(
          lead,
          piece('SELECT name FROM products WHERE id IN (SELECT id FROM products WHERE id = $1 '),
          lock,
          piece(')'),
        ),
      ),
  )
  .map((body) =>
    finish(
      body,
      () => 'it takes row locks (FOR UPDATE / FOR SHARE): only locks on the primary stop other writers',
    ),
  );

/** WITH x AS (INSERT/UPDATE/DELETE ... RETURNING) SELECT ...: a write that ends in SELECT. */
const modifyingCte = fc
  .tuple(
    leading,
    keyword('WITH'),
    fc.constantFrom(
      'DELETE FROM orders WHERE id = $1 RETURNING id',
      'UPDATE products SET price_cents = price_cents WHERE id = $1 RETURNING id',
      'insert into orders (id, product_id, quantity) values (-$1, 1, 1) returning id',
    ),
    space,
    keyword('SELECT'),
  )
  .map(([lead, w, inner, gap, s]) =>
    join(lead, w, piece(' changed AS ('), piece(inner), piece(')'), gap, s, piece(' id FROM changed')),
  )
  .map((body) => finish(body, () => 'its WITH clause changes data, although the statement ends in a SELECT'));

/** SELECT nextval(...) and friends: a read in form, a write (or a lock) in effect. */
const sideEffect = fc
  .tuple(
    leading,
    keyword('SELECT'),
    fc.constantFrom(
      "nextval('order_numbers')",
      "NEXTVAL ('order_numbers')",
      "setval('order_numbers', 100)",
      'pg_advisory_xact_lock(42)',
      'pg_try_advisory_lock($1)',
      "pg_notify('orders', 'placed')",
      'txid_current()',
    ),
    fc.constantFrom('', ' AS result', ', name FROM products WHERE id = $1'),
  )
  .map(([lead, s, call, rest]) => join(lead, s, piece(' '), piece(call), piece(rest)))
  .map((body) =>
    finish(
      body,
      () =>
        'it calls a function with side effects (a sequence, an advisory lock, a notification or a transaction id): a standby refuses it, or it would mean nothing there',
    ),
  );

/** Plain writes, some dressed as reads by a comment. */
const plainWrite = statement(
  fc
    .tuple(
      fc.constantFrom(
        piece(''),
        piece('/* select */ ', 'a comment that says "select"'),
        piece('-- SELECT\n', 'a comment that says "SELECT"'),
      ),
      fc.oneof(
        keyword('DELETE FROM').map((k) => join(k, piece(' orders WHERE id = $1'))),
        keyword('UPDATE').map((k) => join(k, piece(" products SET name = name WHERE name = 'select'"))),
        keyword('TRUNCATE').map((k) => join(k, piece(' orders'))),
        keyword('CREATE INDEX').map((k) => join(k, piece(' ON orders (product_id)'))),
      ),
    )
    .map(([lead, body]) => join(lead, body)),
).map((body) => finish(body, () => 'it changes data or schema'));

/** Several statements in one string (no parameters: PostgreSQL allows several only without them). */
const severalStatements = fc
  .tuple(select(false), fc.constantFrom('; ', ';\n'), keyword('DELETE FROM'))
  .map(([read, sep, del]) => join(read, piece(sep), del, piece(' orders WHERE id = 0')))
  .map((body) => finish(body, () => 'its second statement is a DELETE'));

/** Statements the reference parser does not read: their route is known by construction. */
const unparsable = fc
  .tuple(
    leading,
    fc.constantFrom(
      {
        sql: 'EXPLAIN ANALYZE DELETE FROM orders WHERE id = $1',
        why: 'EXPLAIN ANALYZE runs the DELETE it explains',
      },
      { sql: 'SELECT id, name INTO products_copy FROM products', why: 'SELECT ... INTO creates a table' },
      { sql: 'LOCK TABLE orders IN SHARE MODE', why: 'LOCK TABLE takes a lock only the primary can hold' },
    ),
  )
  .map(([lead, { sql, why }]) => finish(join(lead, piece(sql)), () => why, 'primary'));

export const generatedStatements: fc.Arbitrary<GeneratedStatement> = fc.oneof(
  { weight: 5, arbitrary: plainRead },
  { weight: 2, arbitrary: lockingRead },
  { weight: 1, arbitrary: modifyingCte },
  { weight: 1, arbitrary: sideEffect },
  { weight: 1, arbitrary: plainWrite },
  { weight: 1, arbitrary: severalStatements },
  { weight: 1, arbitrary: unparsable },
);
