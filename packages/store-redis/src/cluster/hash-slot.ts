/** The number of hash slots of a Redis Cluster. */
export const ClusterSlotCount = 16_384;

/**
 * The Cluster hash slot of `key`, as Redis computes it: CRC16 (XMODEM) of the key's hash tag
 * (the text between the first `{` and the next `}`, when not empty) or of the whole key, modulo
 * 16,384.
 */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key, "utf8");
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= (bytes[i] as number) << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % ClusterSlotCount;
}
