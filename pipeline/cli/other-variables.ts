/**
 * Environment variables that start with `FLEETPULSE_` but override no key of
 * `fleetpulse run`, so its check for misspelt overrides skips them. Names
 * ending in `*` are prefixes. A tool that reads a new `FLEETPULSE_` variable
 * must list it here, or `fleetpulse run` rejects that variable at startup.
 */
export const OTHER_FLEETPULSE_VARIABLES: readonly string[] = [
  // `fleetpulse agent` overrides (agent/config.ts), such as FLEETPULSE_AGENT_CLIENT_SECRET.
  'FLEETPULSE_AGENT_*',
  // Addresses of the test servers (pipeline/test-support/services.ts, scripts/with-services.mjs).
  'FLEETPULSE_TEST_*',
  // Benchmark settings (bench/), and the NAB bench's choice of detectors.
  'FLEETPULSE_BENCH_*',
  'FLEETPULSE_DETECTORS',
  // .ci/run: the dashboard's browser test fails instead of skipping when Chromium is missing.
  'FLEETPULSE_REQUIRE_BROWSER',
  // scripts/services.sh: directories, timeouts, ports, heaps and the java executable.
  'FLEETPULSE_SERVICES_*',
  'FLEETPULSE_KAFKA_PORT',
  'FLEETPULSE_KAFKA_CONTROLLER_PORT',
  'FLEETPULSE_KAFKA_HEAP',
  'FLEETPULSE_QUESTDB_HTTP_PORT',
  'FLEETPULSE_QUESTDB_PG_PORT',
  'FLEETPULSE_QUESTDB_ILP_PORT',
  'FLEETPULSE_QUESTDB_HTTP_MIN_PORT',
  'FLEETPULSE_QUESTDB_HEAP',
  'FLEETPULSE_JAVA',
];
