import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventLog } from '../../engine/classroom/event-log.ts';
import { builtSite, call, dataDir, killed, report, startClassroomCli } from './classroom-server.ts';

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

async function startCli(data: string, site: string) {
  const started = startClassroomCli(data, site);
  running.add(started.child);
  return started.serving;
}

// Each test starts the server as its own process (tsx compiling on start): slow on a busy machine.
const START_BUDGET = { timeout: 120_000 };

describe('durability', () => {
  it(
    'keeps every stored report, hand and the instructor token through a SIGKILL and a restart',
    START_BUDGET,
    async () => {
      const data = dataDir();
      const site = builtSite();
      const first = await startCli(data, site);
      const joined = await call(first.base, '/api/join', {
        body: { classCode: first.classCode, name: 'Ada' },
      });
      const learnerToken = String(joined.body.learnerToken);
      const sent = [
        report(),
        report({ exercise: 'rate-limiter', tasks: [{ task: 1, title: 'Count requests', passed: true }] }),
      ];
      for (const body of sent) {
        expect((await call(first.base, '/api/reports', { token: learnerToken, body })).status).toBe(202);
      }
      const hand = await call(first.base, '/api/hands', {
        token: learnerToken,
        body: { exercise: 'cache-aside', task: 2 },
      });
      const before = await call(first.base, `/api/classes/${first.classCode}/state`, { token: first.token });
      await killed(first.child);

      const second = await startCli(data, site);
      expect(second.token).toBe(first.token);
      expect(second.classCode).toBe(first.classCode);
      const after = await call(second.base, `/api/classes/${second.classCode}/state`, {
        token: second.token,
      });
      expect(after.body).toEqual(before.body);
      expect(after.body.hands).toMatchObject([{ id: hand.body.handId }]);
      // The learner's token still works, and a retry of a stored report is recognised.
      expect((await call(second.base, '/api/reports', { token: learnerToken, body: sent[0] })).body).toEqual({
        stored: false,
        duplicate: true,
      });
    },
  );

  it('refuses to start without a built site, saying what to do', START_BUDGET, async () => {
    await expect(startCli(dataDir(), dataDir())).rejects.toThrow(/run npm run build first/);
  });
});

describe('the event log', () => {
  it('ignores a torn last line with a warning, cuts it off, and appends after the last whole line', () => {
    const file = join(dataDir(), 'events.jsonl');
    const log = openEventLog<{ n: number }>(file);
    log.append({ n: 1 });
    log.append({ n: 2 });
    log.close();
    appendFileSync(file, '{"n": 3, "tor');
    const warnings: string[] = [];
    const reopened = openEventLog<{ n: number }>(file, (warning) => warnings.push(warning));
    expect(reopened.replayed).toEqual([{ n: 1 }, { n: 2 }]);
    expect(warnings).toEqual([expect.stringMatching(/last line was cut short/)]);
    reopened.append({ n: 4 });
    reopened.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n');
  });

  it('refuses to start on a damaged line before the end', () => {
    const file = join(dataDir(), 'events.jsonl');
    appendFileSync(file, '{"n":1}\nnot json\n{"n":2}\n');
    expect(() => openEventLog(file)).toThrow(/line 2 is not a stored event/);
  });
});
