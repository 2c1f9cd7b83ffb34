import type { PhaseNumber } from './journey.ts';

/** The three stages the same system goes through as its traffic grows. */
export interface Phase {
  number: PhaseNumber;
  name: string;
  /** One sentence: what the system looks like in this phase. */
  shape: string;
  /** The introduction on the phase page, one string per paragraph. */
  intro: readonly string[];
}

export const phaseNumbers: readonly PhaseNumber[] = [1, 2, 3];

export const phases: Record<PhaseNumber, Phase> = {
  1: {
    number: 1,
    name: 'Single server',
    shape: 'One machine runs the application and queries the database directly on every request.',
    intro: [
      'Almost every system begins as one process on one machine: a web framework, a few routes and a connection to a database. DNS points the domain at that machine, and every request ends up in the same place. For a new product this is the right design. It is cheap, it deploys in seconds, and when something breaks there is exactly one place to look.',
      'It is also where the habits that hurt later take root. The code asks the database the same question for every visitor, it quietly keeps things in local memory, and nothing measures how close the machine is to its limit. This phase reads that first version closely, fixes the bugs hiding in it, and sets up the words the rest of the journey relies on: latency, throughput and the single point of failure.',
    ],
  },
  2: {
    number: 2,
    name: 'Add caching',
    shape: 'Still one app server, now with Redis beside it and a CDN in front of it.',
    intro: [
      'With a few thousand active users, the database usually gives out long before the application server does. Most of its work is the same reads over and over: the same product page, the same profile, fetched again for each visitor. Every one of them costs a query, a network round trip and a connection from a small pool.',
      'Phase 2 keeps the single server but stops asking the database questions it has already answered. A cache such as Redis holds recent results in memory next to the application, and a CDN keeps copies of static files at the edge, close to the people asking for them. Both trade freshness for speed, so these lessons spend as long on expiry, invalidation and a cache that has gone down as on the fast path.',
    ],
  },
  3: {
    number: 3,
    name: 'Horizontal scaling',
    shape: 'Many stateless app servers behind a load balancer, with read replicas beside the primary.',
    intro: [
      'Sooner or later one machine is not enough, however large, and it was always a single point of failure: one crash or one deploy takes the whole site down. The way out is more copies. Several application servers sit behind a load balancer, and read replicas take reads off the primary database.',
      'Copies only help if any of them can answer any request, so the servers must become stateless and every piece of shared state moves to a shared store. New questions follow. Which server takes the next request? What happens to a request when its server dies? How far behind can a replica be before users notice their own change missing? Out at the edge, a rate limiter and an API gateway protect the fleet, and observability is how you find out which of the many parts is failing.',
    ],
  },
};
