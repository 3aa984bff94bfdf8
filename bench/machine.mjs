// What the benchmark ran on, and whether something else was using the CPU at the time.
import { cpus, loadavg, totalmem, platform, arch } from 'node:os';
import { readFileSync } from 'node:fs';

/** The load average (1, 5, 15 minutes), rounded to two decimals. */
export function loadAverage() {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

function cpuModel() {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** CPU flags that matter for the peers' native kernels (OpenBLAS picks its kernel from them). */
function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const flags = new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

/** The machine record of a run; loadAfter and busy are filled in by finishMachine at the end. */
export function describeMachine() {
  return {
    cpu: cpuModel(),
    cpuFlags: cpuFlags(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    loadBefore: loadAverage(),
    loadAfter: null,
    busy: null,
  };
}

/**
 * Records the load after the run and judges whether the machine was busy. The benchmark itself
 * keeps one core busy, which adds about 1 to the 1-minute load average by the end, so "busy"
 * means: more than 0.5 of load before we started, or more than 1.5 at the end.
 */
export function finishMachine(machine) {
  machine.loadAfter = loadAverage();
  machine.busy = machine.loadBefore[0] > 0.5 || machine.loadAfter[0] > 1.5;
  machine.busyRule = 'busy if the 1-minute load average was > 0.5 before the run or > 1.5 after it (the benchmark adds about 1.0 itself)';
  return machine;
}
