export { type QuestDBConfig, questdbConfigSchema } from './config.js';
export { QuestDBStore, type QuestDBStoreOptions } from './questdb-store.js';
export { type QuestDBTables, tableNames } from './schema.js';
export { QuestDBWriteError } from './writer.js';
