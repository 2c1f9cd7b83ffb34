import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { courseRoot } from '../course/course.ts';

/**
 * One archive for a room with no network at all: the course as committed (engine, classroom server,
 * exercises, graders), the built site, and an npm cache holding every package of the learner-only
 * install, so that `npm ci --offline --omit=dev --cache npm-cache` works on the instructor's laptop
 * and on every learner's.
 */

const usage = `Build the workshop pack: one .tar.gz to put on a USB stick.

  npm run build && npm run workshop-pack
  npm run workshop-pack -- --out /media/usb/request-journey-workshop.tar.gz
  npm run workshop-pack -- --site dist       the built site to include (default: dist)

Needs the npm registry once, to fill the pack's npm cache. On the other side, with no network:
  tar -xzf request-journey-workshop.tar.gz && cd request-journey-workshop
  npm ci --offline --omit=dev --cache npm-cache`;

/** The folder the archive unpacks into. */
export const packFolder = 'request-journey-workshop';

/**
 * The laptops a room brings. Native packages (esbuild under tsx, rolldown and lightningcss under vitest)
 * ship one package per platform and npm only installs the one that matches, so the cache carries each of
 * these, not only the packing machine's. Linux means glibc: musl (Alpine) laptops are rare in a room.
 */
export const roomPlatforms = [
  { os: 'darwin', cpu: 'arm64' },
  { os: 'darwin', cpu: 'x64' },
  { os: 'win32', cpu: 'x64' },
  { os: 'win32', cpu: 'arm64' },
  { os: 'linux', cpu: 'x64' },
  { os: 'linux', cpu: 'arm64' },
] as const;

interface PackageJson {
  devDependencies?: Record<string, string>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  resolved?: string;
}

const runsOnSomeRoomLaptop = (entry: LockEntry): boolean =>
  (!entry.libc || entry.libc.includes('glibc')) &&
  roomPlatforms.some(
    (platform) =>
      (!entry.os || entry.os.includes(platform.os)) && (!entry.cpu || entry.cpu.includes(platform.cpu)),
  );

/**
 * Every package `npm ci --omit=dev` can install from this lockfile on a room's laptop, as name@version.
 * Workspace links (the exercises) come with the course files, not from the registry.
 */
export function learnerPackages(lock: { packages: Record<string, LockEntry> }): string[] {
  const specs = Object.entries(lock.packages).flatMap(([path, entry]) => {
    if (!path.includes('node_modules/') || entry.dev || entry.link || !entry.version) return [];
    if (!runsOnSomeRoomLaptop(entry)) return [];
    return [`${packageName(path)}@${entry.version}`];
  });
  return [...new Set(specs)].sort();
}

interface Lockfile {
  packages: Record<string, LockEntry & PackageJson>;
}

/**
 * The pack's package.json and lockfile without the maintainers' tools. Besides making the install
 * smaller, this is what lets npm ci work offline: it checks every lock entry against its parent's
 * wanted range even when it will omit it, and a dev package wanted as a dist-tag (lighthouse's
 * trace engine wants legacy-javascript@latest) makes it ask the registry.
 */
export function withoutDevDependencies<T extends PackageJson | Lockfile>(file: T): T {
  if (!('packages' in file)) {
    const { devDependencies: _, ...rest } = file;
    return rest as T;
  }
  const packages = Object.fromEntries(
    Object.entries(file.packages)
      .filter(([, entry]) => !entry.dev)
      .map(([path, entry]) => [path, path === '' ? withoutDevDependencies(entry) : entry]),
  );
  return { ...file, packages };
}

/** The name a lockfile path installs: node_modules/a/node_modules/@b/c is @b/c. */
const packageName = (path: string): string =>
  path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * The course's lockfile leaves out tarball addresses; without one, npm reads the package's registry
 * document to find it, even offline. With the address written in, it takes the tarball from the cache
 * by its integrity hash alone, so the install needs nothing but the pack.
 */
export function withTarballAddresses(lock: Lockfile): Lockfile {
  const packages = Object.fromEntries(
    Object.entries(lock.packages).map(([path, entry]) => {
      if (!path.includes('node_modules/') || entry.link || !entry.version || entry.resolved) {
        return [path, entry];
      }
      const name = packageName(path);
      const file = `${name.split('/').at(-1)}-${entry.version}.tgz`;
      return [path, { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${file}` }];
    }),
  );
  return { ...lock, packages };
}

function rewriteJson<T>(file: string, change: (json: T) => T): T {
  const json = change(JSON.parse(readFileSync(file, 'utf8')) as T);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return json;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} ... failed (exit ${result.status ?? 'none'})`);
  }
}

export interface PackOptions {
  /** Where the .tar.gz goes. */
  out: string;
  /** The built site, copied to dist/ in the pack (what `npm run classroom` serves). */
  site: string;
}

/** Builds the archive; returns its size in bytes. */
export function buildWorkshopPack({ out, site }: PackOptions): number {
  if (!existsSync(join(site, 'index.html'))) {
    throw new Error(`No built site in ${site}: run npm run build first.`);
  }
  const staging = mkdtempSync(join(tmpdir(), 'rj-workshop-'));
  try {
    const folder = join(staging, packFolder);
    mkdirSync(folder);
    // The committed course, not the working copy: an instructor's own answers in exercises/ stay home.
    const archive = spawnSync('git', ['archive', '--format=tar', 'HEAD'], {
      cwd: courseRoot,
      maxBuffer: 1 << 30,
    });
    if (archive.status !== 0) {
      throw new Error(
        `git archive failed: the pack is built from a git clone of the course.\n${archive.stderr}`,
      );
    }
    const untar = spawnSync('tar', ['-x', '-C', folder], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar could not unpack the course: ${untar.stderr}`);
    cpSync(site, join(folder, 'dist'), { recursive: true });

    rewriteJson<PackageJson>(join(folder, 'package.json'), withoutDevDependencies);
    const lock = rewriteJson<Lockfile>(join(folder, 'package-lock.json'), (json) =>
      withTarballAddresses(withoutDevDependencies(json)),
    );
    const cache = join(folder, 'npm-cache');
    console.log(`Filling the npm cache with ${learnerPackages(lock).length} packages...`);
    // Under `npm run`, the npm that runs us: on Windows `npm` alone is a .cmd that spawn cannot start.
    const [npm, ...npmArgs] = process.env.npm_execpath
      ? [process.execPath, process.env.npm_execpath]
      : ['npm'];
    run(
      npm as string,
      [...npmArgs, 'cache', 'add', '--cache', cache, '--no-audit', '--no-fund', ...learnerPackages(lock)],
      folder,
    );
    // The index and content are all npm ci --offline reads; logs are only noise on the stick.
    rmSync(join(cache, '_logs'), { recursive: true, force: true });

    mkdirSync(resolve(out, '..'), { recursive: true });
    run('tar', ['-czf', resolve(out), '-C', staging, packFolder], staging);
    return statSync(out).size;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: `${packFolder}.tar.gz` },
      site: { type: 'string', default: 'dist' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  try {
    const bytes = buildWorkshopPack({ out: values.out, site: resolve(courseRoot, values.site) });
    console.log(`\n${values.out}: ${(bytes / 2 ** 20).toFixed(1)} MiB.\n\n${usage.split('\n\n').at(-1)}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
