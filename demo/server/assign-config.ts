import { type AssignOptions, DEFAULT_ASSIGN } from './assignment';

/** Reads `PARLEY_ASSIGN`, `PARLEY_AGENT_CAPACITY` and `PARLEY_ASSIGN_GRACE_S`; throws naming the bad variable. */
export function readAssignConfig(env: NodeJS.ProcessEnv): AssignOptions {
  const mode = (env.PARLEY_ASSIGN?.trim() || DEFAULT_ASSIGN.mode).toLowerCase();
  if (mode !== 'manual' && mode !== 'round-robin') {
    throw new Error(`PARLEY_ASSIGN must be "manual" or "round-robin", got "${mode.slice(0, 40)}"`);
  }
  return {
    mode,
    capacity: whole(env, 'PARLEY_AGENT_CAPACITY', DEFAULT_ASSIGN.capacity, 1),
    graceMs: whole(env, 'PARLEY_ASSIGN_GRACE_S', DEFAULT_ASSIGN.graceMs / 1000, 0) * 1000,
  };
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw.slice(0, 40)}"`);
  }
  return value;
}
