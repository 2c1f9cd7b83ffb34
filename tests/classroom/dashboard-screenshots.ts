import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { courseOnDisk } from '../../engine/classroom/classroom.ts';
import { courseRoot } from '../../engine/course/course.ts';
import { launchChromium } from '../e2e/chromium.ts';
import { call, dataDir, killed, startClassroomCli } from './classroom-server.ts';

/**
 * Screenshots of the classroom dashboard with a small class in it, for people to look at (not a test):
 *   npm run build && npx tsx tests/classroom/dashboard-screenshots.ts /tmp/shots [site folder]
 */
const folder = process.argv[2] ?? '/tmp/classroom-shots';
const site = process.argv[3] ?? join(courseRoot, 'dist');
mkdirSync(folder, { recursive: true });
const server = await startClassroomCli(dataDir(), site).serving;
const browser = await launchChromium();
try {
  const course = courseOnDisk();
  const names = [
    'Ada',
    'Grace',
    '<b>Linus</b>',
    'Margaret',
    'Edsger',
    'Barbara',
    'Ken',
    'Radia',
    'Donald',
    'Frances',
    'Alan',
    'Hedy',
  ];
  for (const [index, name] of names.entries()) {
    const joined = await call(server.base, '/api/join', { body: { classCode: server.classCode, name } });
    const token = String(joined.body.learnerToken);
    for (const exercise of course.slice(0, 1 + (index % 3))) {
      await call(server.base, '/api/reports', {
        token,
        body: {
          reportId: `${index}-${exercise.id}`,
          exercise: exercise.id,
          at: new Date().toISOString(),
          tasks: exercise.tasks.map((task) => ({
            task: task.number,
            title: task.title,
            passed: task.number <= index % (exercise.tasks.length + 1),
            message: `expected the second read to hit the cache, but it went to the database (task ${task.number})`,
          })),
        },
      });
    }
    if (index % 5 === 2) {
      await call(server.base, '/api/hands', {
        token,
        body: {
          exercise: course[0]?.id,
          task: 2,
          ...(index === 2 && {
            code: { 'cache.ts': 'export async function get(key: string) {\n  return db.query(key);\n}\n' },
          }),
        },
      });
    }
  }
  for (const [width, height] of [
    [1920, 1080],
    [1280, 800],
    [390, 844],
  ] as const) {
    const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await page.goto(`${server.base}/classroom/dashboard/#token=${server.token}`);
    await page.getByText('Live: updates as learners run their tests.').waitFor();
    await page.screenshot({ path: join(folder, `dashboard-${width}x${height}.png`), fullPage: true });
    if (width === 1920) {
      await page.getByRole('button', { name: 'Show to the room' }).click();
      await page.screenshot({ path: join(folder, `dashboard-room-${width}x${height}.png`) });
    }
  }
  console.log(`screenshots in ${folder}`);
} finally {
  await browser.close();
  await killed(server.child);
}
