export { likelihoodConfigSchema, outlierConfigSchema, type LikelihoodConfig, type OutlierConfig, type OutlierConfigInput, type OutlierVariant } from './config.js';
export { createOutlierDetector, MAX_ABS_ZSCORE, OutlierDetector, type OutlierEvent } from './detector.js';
export { LikelihoodStage } from './likelihood.js';
