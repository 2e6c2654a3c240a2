/**
 * The fault tier: long tests that stop services or kill processes (outages, repeated SIGKILLs).
 * They run with SHELFSTREAM_FAULT_TESTS=1 (`make test-faults`, which `.ci/run` runs after
 * `make test`), so that `make test` stays quick; SHELFSTREAM_KILL_TESTS=1, the tier's first
 * name, is still accepted.
 */
export const FAULT_TESTS_ENABLED = process.env.SHELFSTREAM_FAULT_TESTS === '1' || process.env.SHELFSTREAM_KILL_TESTS === '1';

/** `describe` in the fault tier, `describe.skip` outside it. */
export const describeFault: typeof describe = FAULT_TESTS_ENABLED ? describe : describe.skip;
