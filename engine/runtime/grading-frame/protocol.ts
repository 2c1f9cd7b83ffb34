/**
 * Messages between a lesson page and its grading frame (frame.ts), a page
 * from another site embedded hidden so that the grading Workers run in a
 * process of their own. The frame says hello to its parent; the parent answers
 * with a control port, and everything else travels on that port. The private
 * channel of each Worker (worker/protocol.ts) passes through the frame
 * unopened: the page and the Worker talk directly.
 */

export const FRAME_HELLO = 'request-journey:grading-frame-hello';
export const FRAME_CONNECT = 'request-journey:grading-frame-connect';

export type FrameHello = { type: typeof FRAME_HELLO };
/** Posted with the control port. */
export type FrameConnect = { type: typeof FRAME_CONNECT };

export type ToFrame =
  /** Start a grading Worker; the message carries the Worker's end of its private channel. */
  { type: 'spawn'; worker: number } | { type: 'terminate'; worker: number };

export type FromFrame =
  /** Sent on connecting, then every BEAT_MS: a frame that falls silent has died (its process ran out of memory). */
  { type: 'beat' } | { type: 'crash'; worker: number; reason: string };

export const BEAT_MS = 250;
