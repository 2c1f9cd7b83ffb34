import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import { addressesToOpen } from '../../site/scripts/lan-addresses.ts';
import { courseRoot } from '../course/course.ts';
import { courseOnDisk } from './classroom.ts';
import { startClassroomServer } from './server.ts';

/** `npm run classroom`: serves the built site and the classroom API to a room's network. */

export const CLASSROOM_USAGE = `Serve the course to a classroom, with live progress for the instructor.

  npm run classroom                           every network interface, port 4400
  npm run classroom -- --port 8080            another port
  npm run classroom -- --host 127.0.0.1       this computer only (a rehearsal)
  npm run classroom -- --data <folder>        where results are kept (default classroom-data)
  npm run classroom -- --site <folder>        the built site (default dist)`;

/** The exit code, or undefined while the server runs. */
async function main(args: string[]): Promise<number | undefined> {
  let values: { port?: string; host?: string; data?: string; site?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        data: { type: 'string' },
        site: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${CLASSROOM_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(CLASSROOM_USAGE);
    return 0;
  }
  const port = Number(values.port ?? '4400');
  if (!/^\d+$/.test(values.port ?? '4400') || port > 65535) {
    console.error(`--port takes a port number such as 8080; got "${values.port}".\n\n${CLASSROOM_USAGE}`);
    return 2;
  }
  const siteDir = resolve(values.site ?? join(courseRoot, 'dist'));
  if (!existsSync(join(siteDir, 'index.html'))) {
    console.error(`There is no built site in ${siteDir}: run npm run build first.`);
    return 1;
  }
  const host = values.host ?? '0.0.0.0';
  const learnerAddresses = (listening: number) => {
    const { local, network } = addressesToOpen(host, listening);
    return network.length > 0 ? network : [local];
  };
  const running = await startClassroomServer({
    dataDir: resolve(values.data ?? 'classroom-data'),
    siteDir,
    course: courseOnDisk(),
    port,
    host,
    learnerAddresses,
  });
  const addresses = learnerAddresses(running.port);
  const classes = running.classroom.classCodes().map((code) => running.classroom.classNamed(code));
  const lines = [
    'Request Journey classroom server',
    '',
    'Learners open:',
    ...addresses.map((address) => `  ${address}`),
    ...(host === '0.0.0.0' && addresses[0]?.includes('localhost')
      ? ['  (this computer has no network address besides localhost: connect it to the room network)']
      : []),
    '',
    await QRCode.toString(addresses[0] ?? '', { type: 'terminal', small: true }),
    `Class code${classes.length > 1 ? 's' : ''}: ${classes.map((found) => `${found?.code} (${found?.name})`).join(', ')}`,
    '',
    'Instructor dashboard (keep this address to yourself: it carries the instructor token):',
    `  http://localhost:${running.port}/classroom/dashboard/#token=${running.instructorToken}`,
    '',
    `Results are kept in ${resolve(values.data ?? 'classroom-data')}. Stop with Ctrl+C; starting again keeps everything.`,
  ];
  console.log(lines.join('\n'));
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
