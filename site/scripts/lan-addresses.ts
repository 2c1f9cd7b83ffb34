import { networkInterfaces } from 'node:os';

/**
 * The addresses to open the site at. Served on every interface (0.0.0.0 or ::), that is this machine
 * and each of its network addresses, the ones a room's laptops use; otherwise the one address given.
 */
export function addressesToOpen(
  host: string | undefined,
  port: number,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): { local: string; network: string[] } {
  const local = `http://localhost:${port}/`;
  if (host === undefined || host === 'localhost') return { local, network: [] };
  if (host !== '0.0.0.0' && host !== '::') return { local: `http://${host}:${port}/`, network: [] };
  const network = Object.values(interfaces)
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => !address.internal && (address.family === 'IPv4' || host === '::'))
    .filter((address) => !address.address.startsWith('fe80:'))
    .map((address) =>
      address.family === 'IPv6'
        ? `http://[${address.address}]:${port}/`
        : `http://${address.address}:${port}/`,
    );
  return { local, network };
}
