/**
 * Several contenders measured in turn in one process against one Redis server: each round runs
 * every contender once, in a rotating order, so drift of a shared machine falls on all of them
 * alike; medians are kept. Besides throughput, each run's CPU time per operation is taken, the
 * bench process's (`process.cpuUsage`) plus the server's (`INFO cpu`): on a machine shared with
 * other work, wall-clock throughput swings with the neighbours' load, CPU time much less.
 */
import { type MeasureOptions, measure, median } from "@vmcp/bench-kit";

/** One workload to measure: `op(i)` for the i-th operation. */
export interface Contender {
  readonly name: string;
  readonly op: (i: number) => unknown;
}

/** One contender's medians. */
export interface ContenderResult {
  /** Operations per second. */
  readonly opsPerSec: number;
  /** CPU time per operation of the bench process, µs. */
  readonly clientCpuUs: number;
  /** CPU time per operation of the Redis server, µs. */
  readonly serverCpuUs: number;
}

/**
 * The medians of each contender over `rounds` rounds of `ops` operations, by name. The starting
 * contender moves by one each round. `serverCpuSeconds` reads the server's CPU time so far.
 */
export async function measureContenders(
  contenders: readonly Contender[],
  ops: number,
  serverCpuSeconds: () => Promise<number>,
  options: MeasureOptions & { readonly rounds: number },
): Promise<Map<string, ContenderResult>> {
  const runs = new Map<string, { ops: number[]; client: number[]; server: number[] }>(
    contenders.map((c) => [c.name, { ops: [], client: [], server: [] }]),
  );
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length] as Contender;
      // Warm up apart, so the CPU figures cover the measured operations only.
      await measure(options.warmupOps ?? Math.ceil(ops / 10), contender.op, {
        ...options,
        warmupOps: 0,
      });
      const server0 = await serverCpuSeconds();
      const client0 = process.cpuUsage();
      const { opsPerSec } = await measure(ops, contender.op, { ...options, warmupOps: 0 });
      const client = process.cpuUsage(client0);
      const server = (await serverCpuSeconds()) - server0;
      const run = runs.get(contender.name);
      run?.ops.push(opsPerSec);
      run?.client.push((client.user + client.system) / ops);
      run?.server.push((server * 1e6) / ops);
    }
  }
  return new Map(
    [...runs].map(([name, run]) => [
      name,
      {
        opsPerSec: median(run.ops),
        clientCpuUs: median(run.client),
        serverCpuUs: median(run.server),
      },
    ]),
  );
}

/** The server's CPU time so far, s (user + system, from `INFO cpu`). */
export function parseServerCpu(info: string): number {
  const user = /used_cpu_user:([\d.]+)/.exec(info)?.[1];
  const system = /used_cpu_sys:([\d.]+)/.exec(info)?.[1];
  return Number(user ?? Number.NaN) + Number(system ?? Number.NaN);
}
