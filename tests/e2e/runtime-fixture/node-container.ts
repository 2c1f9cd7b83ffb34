import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileSystemTree } from '@webcontainer/api';
import type { Container, ContainerProcess } from '../../../engine/runtime/webcontainer/container.ts';

/**
 * A stand-in for a WebContainer on this machine, which cannot reach StackBlitz:
 * a folder and child processes behind the same interface, so the WebContainer
 * runner can run real vitest. A node_modules "snapshot" links the course's own
 * node_modules instead of installing.
 */
export function nodeContainer(dir: string, nodeModules: string): Container {
  async function writeTree(tree: FileSystemTree, at: string): Promise<void> {
    for (const [name, node] of Object.entries(tree)) {
      const path = join(at, name);
      if ('directory' in node) await writeTree(node.directory, path);
      else if ('file' in node && 'contents' in node.file) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, node.file.contents);
      }
    }
  }
  return {
    async mount(tree, options) {
      if (tree instanceof Uint8Array)
        await symlink(nodeModules, join(dir, options?.mountPoint ?? 'node_modules'));
      else await writeTree(tree, dir);
    },
    async spawn(command, args, options): Promise<ContainerProcess> {
      const child = spawn(command, args, {
        cwd: dir,
        env: { ...process.env, ...options?.env, FORCE_COLOR: '1' },
      });
      const output = new ReadableStream<string>({
        start(controller) {
          child.stdout.on('data', (data: Buffer) => controller.enqueue(data.toString()));
          child.stderr.on('data', (data: Buffer) => controller.enqueue(data.toString()));
          child.on('close', () => controller.close());
        },
      });
      const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
      return { output, exit, kill: () => child.kill() };
    },
    fs: {
      readFile: (path) => readFile(join(dir, path), 'utf8'),
      writeFile: (path, data) => writeFile(join(dir, path), data),
      rm: (path, options) => rm(join(dir, path), options),
    },
    export: async () => new Uint8Array(),
    teardown: () => {},
  };
}
