export * from './config';
export { OPTIONS, type OptionName } from './options';
export { renderConfigMarkdown, renderEnvExample, CONFIG_TABLE_BEGIN, CONFIG_TABLE_END } from './docs';
export { configForDisplay, secretValues } from './secrets';
