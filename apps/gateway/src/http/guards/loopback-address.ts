import { BlockList, isIP } from "node:net";

/** The loopback ranges: 127.0.0.0/8 and ::1 (an IPv4-mapped `::ffff:127.x.x.x` matches the first). */
const Loopback = new BlockList();
Loopback.addSubnet("127.0.0.0", 8, "ipv4");
Loopback.addAddress("::1", "ipv6");

/**
 * Whether `address`, a socket's remote address as Node reports it, is a loopback address:
 * 127.0.0.0/8, `::1` (in any spelling), or an IPv4-mapped `::ffff:127.x.x.x`. A host name, an
 * empty string or anything that is not an IP address is not.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return Loopback.check(address, family === 4 ? "ipv4" : "ipv6");
}
