/**
 * The name of every check, as reported in previews, in RISK_LIMIT_EXCEEDED
 * details and in the risk-block metric. Names match the RiskLimits field they
 * enforce where there is one, so a user can find the variable to change.
 * Append only: dashboards and scripts match on these strings.
 */
export const CHECK_NAMES = [
  'allowedSecurityTypes',
  'allowedSymbols',
  'blockedSymbols',
  'reduceOnly',
  'maxOrderQuantity',
  'maxOrderNotional',
  'maxPositionNotional',
  'maxGrossExposure',
  'priceBand',
  'maxDailyLoss',
  'maxOrdersPerMinute',
  'maxOrdersPerDay',
  'duplicateOrder',
  // Desk-wide (the risk file's "desk"): reported only when the file sets them.
  'maxDeskGrossExposure',
  'maxDeskDailyLoss',
] as const;

/** The checks a risk file without a "desk" section never reports. */
export const DESK_CHECK_NAMES: readonly CheckName[] = ['maxDeskGrossExposure', 'maxDeskDailyLoss'];

export type CheckName = (typeof CHECK_NAMES)[number];
