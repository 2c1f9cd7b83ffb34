import type { APIRoute } from 'astro';
import { gradingFrameUrl } from '../integrations/cross-origin-isolation.ts';

// The grading frame's address, read by lesson pages (site/workspace/runner-session.ts). Built from
// RJ_GRADING_FRAME_ORIGIN; without it the file names none and runs grade in the page, except under
// `npm run dev` and `npm run preview`, which answer for the host the page was opened at.
export const GET: APIRoute = () => {
  const url = gradingFrameUrl(undefined);
  return new Response(JSON.stringify(url ? { url } : {}), {
    headers: { 'Content-Type': 'application/json' },
  });
};
