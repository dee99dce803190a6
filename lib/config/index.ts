export * from './schema';
export * from './load';
export * from './naming';
export { DEFAULT_CONFIG } from './defaults';
