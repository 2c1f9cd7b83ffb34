import type { StopId } from '../lib/journey.ts';

/**
 * One request for product 42, followed hop by hop for presenter mode: what happens at each stop and
 * the numbers to say out loud. The figures are the ones the lessons use, so the talk and the reading
 * agree: a user in Sydney, the origin in Frankfurt, a nearby edge, Redis and PostgreSQL behind it.
 */
export interface WalkStep {
  /** The stop of the journey diagram this step lights up. */
  stop: StopId;
  title: string;
  happens: string;
  numbers: readonly string[];
}

export const requestWalk: readonly WalkStep[] = [
  {
    stop: 'dns',
    title: 'DNS lookup',
    happens:
      'The browser needs an IP address for shop.example. A cold lookup walks root, .example and the authoritative server; every later one is answered from a cache until the TTL runs out.',
    numbers: [
      'Cached in the browser or OS: 0 ms',
      'Cold, through the resolver: tens of ms',
      'TTL 300 s: lower it to 60 s one old TTL before a move',
    ],
  },
  {
    stop: 'cdn',
    title: 'TCP and TLS to the edge',
    happens:
      'DNS answered with a nearby edge, so the connection is set up there: a TCP handshake, then a TLS 1.3 handshake, each one round trip.',
    numbers: [
      'Round trip to the Sydney edge: about 10 ms',
      'Round trip to the Frankfurt origin: about 280 ms',
      'Two round trips to connect: 20 ms instead of 560 ms',
    ],
  },
  {
    stop: 'cdn',
    title: 'Edge cache: hit or miss',
    happens:
      'The edge looks up the response. A fresh copy ends the journey here; a miss travels on to the origin once, and the answer is kept for as long as Cache-Control allows.',
    numbers: [
      'Hit: answered from the edge, one 10 ms round trip',
      'Miss: one more 280 ms round trip to the origin',
      'max-age=60 on 300 edges: at most 5 origin requests a second for product 42',
    ],
  },
  {
    stop: 'rate-limiter',
    title: 'Rate limiter',
    happens:
      'The request reaches your own servers. The limiter counts it against the API key (a token bucket in Redis, shared by every limiter) and turns the excess away before it costs anything.',
    numbers: [
      'Quota: 100 requests a minute per key, bursts up to the bucket size',
      'Over it: 429 Too Many Requests with Retry-After',
      'One looping client at 2,000 req/s would otherwise fill four servers',
    ],
  },
  {
    stop: 'load-balancer',
    title: 'Load balancer',
    happens:
      'It picks one of the app servers: least connections sends the request to the one with the least in flight, and servers that just failed are left out for a while.',
    numbers: [
      'Three upstreams, app3 out of rotation after a failure',
      'nginx defaults: max_fails=1, fail_timeout=10 s',
      'A POST that may have reached the server is not retried',
    ],
  },
  {
    stop: 'api-gateway',
    title: 'API gateway',
    happens:
      'One front door for the services: it checks the token once, applies limits and timeouts, and routes /products to the catalogue service, passing on who the caller is.',
    numbers: [
      'Authentication once, not in every service',
      'Its timeout must outlast the service timeout',
      'Gateway 30 s in front of a service at 60 s: 504s for work that still completes',
    ],
  },
  {
    stop: 'app-server',
    title: 'App server',
    happens:
      'The product handler runs. The server keeps nothing of its own between requests: sessions and counters live in Redis, so any copy can answer any request.',
    numbers: [
      'Four servers at about 500 req/s each',
      'Comfortable at 50% busy, tense at 80%, collapsing past 90%',
      'A 10 ms request takes 100 ms at 90% busy (M/M/1)',
    ],
  },
  {
    stop: 'cache',
    title: 'Cache: GET product:42',
    happens:
      'Cache-aside: the app asks Redis first. A hit returns the cached JSON; a miss goes to PostgreSQL and stores the row with SET product:42 ... EX 300.',
    numbers: [
      'Redis GET on the local network: about 0.3 ms',
      'TTL 300 s: the longest a cached price can be stale',
      'Hit ratio 95% to 99%: five times fewer database reads',
    ],
  },
  {
    stop: 'database',
    title: 'Database: the primary',
    happens:
      'On a miss, or for any write, the query goes to the PostgreSQL primary through a connection pool, with $1 placeholders and the values sent apart.',
    numbers: [
      'The product query: about 4 ms of database time when busy',
      'Pool of 10 connections at 5 ms a query: 2,000 queries a second',
      'At 50 ms a query the same pool manages 200',
    ],
  },
  {
    stop: 'replicas',
    title: 'Read replica',
    happens:
      'Reads can go to a replica instead, which replays the primary’s WAL a little behind. A user who just wrote reads from the primary for a short window, so they see their own change.',
    numbers: [
      'Replica lag in the lesson: about 300 ms',
      'A read 40 ms after a write on a lagging replica shows the old data',
      'Writes and transactions always go to the primary',
    ],
  },
];
