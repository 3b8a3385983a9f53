/**
 * Loads the heatmap benchmark's samples into both stores by their fastest
 * paths: DuckDB generates them with one INSERT ... SELECT into the embedded
 * store's tables, and QuestDB copies the same rows from a Parquet file that
 * DuckDB exports, with INSERT ... SELECT FROM read_parquet().
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import { labelSetKey } from '../../sinks/label-set.js';

/** The shape of the loaded data. */
export interface Workload {
  agents: number;
  /** Samples per agent, spread evenly over one day. */
  points: number;
  /** Start of the day, ms since the Unix epoch. */
  dayStart: number;
}

export const METRIC = 'latency_ms';
export const DAY_MS = 86_400_000;
export const ENVS = ['prod', 'staging'] as const;
export const REGIONS = ['eu-1', 'us-1', 'ap-1', 'sa-1'] as const;

/**
 * Returns one tag set per combination of env and region. Agent `a` is in
 * `prod` when a mod 10 < 7 (70 % of agents) and in region a mod 4.
 */
function tagSets(): Array<{ id: number; text: string; env: string; region: string }> {
  return ENVS.flatMap((env, e) => REGIONS.map((region, r) => ({ id: e * REGIONS.length + r + 1, text: labelSetKey({ env, region }), env, region })));
}

const quoteSql = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Fills the embedded store's `series`, `tag_sets` and `samples` tables,
 * which DuckDBStore.init() created. Agent `a` reports every
 * DAY_MS / points ms, offset by a × (interval / agents) ms (8a ms at the
 * defaults). Its values are log-normal with a median of 10 to 59 ms and
 * σ = 0.6. Rows go in ts order, as a store fills over time.
 */
export async function loadDuckDB(connection: DuckDBConnection, workload: Workload): Promise<void> {
  const { agents, points, dayStart } = workload;
  const interval = Math.floor(DAY_MS / points);
  const offset = Math.floor(interval / agents);

  await connection.run(`INSERT INTO series (series_id, agent, metric, series, labels)
    SELECT a + 1, printf('agent-%04d', a), '${METRIC}', '{}', MAP {}::MAP(VARCHAR, VARCHAR) FROM range(0, ${agents}) r(a)`);

  const rows = tagSets().map((set) => `(${set.id}, ${quoteSql(set.text)}, MAP {'env': ${quoteSql(set.env)}, 'region': ${quoteSql(set.region)}})`);
  await connection.run(`INSERT INTO tag_sets (tag_set_id, tag_set, tags) VALUES ${rows.join(', ')}`);

  // Box-Muller turns two uniform numbers into a standard normal one. DuckDB's
  // random() is in [0, 1), so 1 - random() is never 0 and ln is defined.
  const normal = 'sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())';
  await connection.run(`INSERT INTO samples (ts, series_id, value, received_at, tag_set_id)
    SELECT epoch_ms(t), a + 1, exp(ln(10 + (a * 37) % 50) + 0.6 * ${normal}), epoch_ms(t + 150),
           CASE WHEN a % 10 < 7 THEN 0 ELSE 1 END * ${REGIONS.length} + a % ${REGIONS.length} + 1
    FROM (SELECT ${dayStart} + p * ${interval} + a * ${offset} AS t, a FROM range(0, ${points}) r1(p) CROSS JOIN range(0, ${agents}) r2(a))
    ORDER BY t, a`);
}

/**
 * Finds the directory that QuestDB's read_parquet() reads from
 * (`cairo.sql.copy.root`) on this machine: the --questdb-import-dir
 * option, else the setting when it is an absolute path, else the `import`
 * folder of the server that scripts/services.sh runs.
 */
export async function questdbImportDir(client: pg.Client, importDirOption: string | undefined, repoRoot: string): Promise<string> {
  if (importDirOption !== undefined) return importDirOption;
  const result = await client.query<{ value: string }>(`SELECT value FROM (SHOW PARAMETERS) WHERE property_path = 'cairo.sql.copy.root'`);
  const setting = result.rows[0]?.value;
  if (setting !== undefined && isAbsolute(setting) && existsSync(setting)) return setting;

  const servicesDir = process.env.FLEETPULSE_SERVICES_DIR ?? join(repoRoot, '.cache', 'services', 'state');
  const local = join(servicesDir, 'questdb', 'root', setting ?? 'import');
  if (existsSync(local)) return local;
  throw new Error(
    `QuestDB's import directory (cairo.sql.copy.root is ${JSON.stringify(setting)}) was not found on this machine; ` +
      'run the benchmark on QuestDB\'s host with the server of scripts/services.sh, or pass --questdb-import-dir',
  );
}

/** Writes the samples of the embedded store as a Parquet file with the columns of QuestDB's metrics table. */
export async function exportParquet(connection: DuckDBConnection, file: string): Promise<void> {
  await connection.run(`COPY (
      SELECT s.ts, s.received_at, se.agent, se.metric, se.series, s.value, t.tags['env'] AS tag_env, t.tags['region'] AS tag_region
      FROM samples s JOIN series se ON se.series_id = s.series_id JOIN tag_sets t ON t.tag_set_id = s.tag_set_id
      ORDER BY s.ts, se.agent
    ) TO ${quoteSql(file)} (FORMAT parquet)`);
}

/**
 * Copies the Parquet file into the metrics table that QuestDBStore.init()
 * created, adding the tag columns first as ILP would: as SYMBOL.
 */
export async function loadQuestDB(client: pg.Client, table: string, parquetName: string): Promise<void> {
  await client.query(`ALTER TABLE ${table} ADD COLUMN tag_env SYMBOL`);
  await client.query(`ALTER TABLE ${table} ADD COLUMN tag_region SYMBOL`);
  await client.query(`INSERT INTO ${table} (ts, received_at, agent, metric, series, value, tag_env, tag_region)
    SELECT ts, received_at, agent, metric, series, value, tag_env, tag_region FROM read_parquet(${quoteSql(parquetName)})`);
}
