import { describe, expect, it } from 'vitest';
import { addressesToOpen, PREVIEW_USAGE, previewOptions } from '../../site/scripts/preview.ts';
import { runScript } from './run-script.ts';

describe('npm run preview, its command line', () => {
  it('takes --port and --host, or PORT and HOST, flags first', () => {
    expect(previewOptions([], {})).toEqual({ port: 4321, host: undefined });
    expect(previewOptions(['--port', '8080'], {})).toEqual({ port: 8080, host: undefined });
    expect(previewOptions(['-p', '0', '--host', '0.0.0.0'], {})).toEqual({ port: 0, host: '0.0.0.0' });
    expect(previewOptions([], { PORT: '5000', HOST: '0.0.0.0' })).toEqual({ port: 5000, host: '0.0.0.0' });
    expect(previewOptions(['--port', '6000'], { PORT: '5000' })).toEqual({ port: 6000, host: undefined });
  });

  it('answers an unknown flag or a bad port with the usage and exit code 2', () => {
    expect(previewOptions(['--prot', '80'], {})).toEqual({
      exitCode: 2,
      print: `Unknown option --prot.\n\n${PREVIEW_USAGE}`,
    });
    expect(previewOptions(['--port', 'eighty'], {})).toMatchObject({
      exitCode: 2,
      print: expect.stringContaining('--port takes a port number such as 8080; got "eighty"'),
    });
    expect(previewOptions(['--help'], {})).toEqual({ exitCode: 0, print: PREVIEW_USAGE });
  });

  it('the real command prints the usage for an unknown flag, with no stack trace', () => {
    const run = runScript('site/scripts/preview.ts', ['--bogus']);
    expect(run.stderr).toContain('Unknown option --bogus.');
    expect(run.stderr).toContain('npm run preview -- --port 8080');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(2);
  }, 60_000);
});

describe('the addresses preview prints', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: '192.168.1.20', family: 'IPv4', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '2001:db8::20', family: 'IPv6', internal: false },
    ],
    wlan0: [{ address: '10.0.0.7', family: 'IPv4', internal: false }],
  } as unknown as Parameters<typeof addressesToOpen>[2];

  it('served on every interface: localhost and each LAN address a room can open', () => {
    expect(addressesToOpen('0.0.0.0', 4321, interfaces)).toEqual({
      local: 'http://localhost:4321/',
      network: ['http://192.168.1.20:4321/', 'http://10.0.0.7:4321/'],
    });
    expect(addressesToOpen('::', 80, interfaces).network).toEqual([
      'http://192.168.1.20:80/',
      'http://[2001:db8::20]:80/',
      'http://10.0.0.7:80/',
    ]);
  });

  it('served on one address: that address only', () => {
    expect(addressesToOpen(undefined, 4321, interfaces)).toEqual({
      local: 'http://localhost:4321/',
      network: [],
    });
    expect(addressesToOpen('192.168.1.20', 4321, interfaces)).toEqual({
      local: 'http://192.168.1.20:4321/',
      network: [],
    });
  });
});
