import { z } from 'zod';

/**
 * The embedded store: one DuckDB file, written and read by this process
 * alone (DuckDB allows one writing process per file).
 *
 * ```yaml
 * duckdb:
 *   path: fleetpulse.duckdb
 *   threads: 2
 * ```
 */
export const duckdbConfigSchema = z
  .strictObject({
    /**
     * Database file; its directory is created when missing. `:memory:` keeps
     * everything in memory. `fleetpulse run` resolves a relative path against
     * data_dir, so the default is `<data_dir>/fleetpulse.duckdb`.
     */
    path: z.string().min(1).default('fleetpulse.duckdb'),
    /** Worker threads DuckDB may use for queries and checkpoints; DuckDB's default (one per core) when absent. */
    threads: z.number().int().min(1).max(256).optional(),
    /** DuckDB's memory limit, such as `1GB`; DuckDB's default (80% of RAM) when absent. */
    memory_limit: z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, 'expected a size such as 512MB or 2GiB').optional(),
  })
  .prefault({});

export type DuckDBConfig = z.output<typeof duckdbConfigSchema>;
