/** Pre-trade risk: the engine, the risk file and the check names the order path surfaces. */
export { createRiskEngine, type RiskEngineOptions } from './engine.js';
export { loadRiskFile, parseRiskFile, RiskFileSchema, SymbolOverrideSchema, type RiskFile, type SymbolOverride } from './risk-file.js';
export { CHECK_NAMES, type CheckName } from './check-names.js';
export { riskDayStart } from './trading-day.js';
export { duplicateKey } from './duplicate-guard.js';
export { memoryHistory, riskKeyOf, storeHistory, type HistoryFacts, type SafetyHistory, type StoreHistory } from './history.js';
export type { RiskEngine, RiskInput, WorkingOrderExposure } from './types.js';
export { startExposurePublisher, type ExposurePublisher } from './publisher.js';
export { AccountLimitsSchema, DeskLimitsSchema, type AccountLimits, type DeskLimits } from './risk-file.js';
