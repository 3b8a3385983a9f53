export { type DuckDBConfig, duckdbConfigSchema } from './config.js';
export { DuckDBStore, type DuckDBStoreOptions } from './duckdb-store.js';
