/**
 * ibkr-gateway as a library:
 *
 *   import { createClient } from 'ibkr-gateway';
 *   const client = await createClient();            // BROKER=sim by default
 *   const quote = await client.getQuote({ symbol: 'AAPL' });
 *   await client.close();
 *
 * Every shape is a zod schema exported here (use `.parse` to validate your own
 * data) with its TypeScript type of the same name; every error is a
 * GatewayError subclass with a stable `code`.
 */
export { createClient, VERSION, type ClientOptions, type BrokerFactory } from './gateway.js';
export type { GatewayClient, PlaceOptions, PlaceOrderInput, OrderListQueryInput, OptionChainQueryInput } from './core/client/interface.js';
export * from './core/models.js';
export * from './core/errors.js';
export { parseConfig, loadEnv, envExample, type Config, type Env, type RiskLimits, type ApiKey, type ApiScope } from './core/config.js';
export { ManualClock, systemClock, type Clock } from './core/clock.js';
export type { Broker, BrokerEvents, BrokerOrderState, PlaceOrderAck, ModifyOrderRequest as BrokerModifyOrderRequest, ModifyOrderAck, WhatIfResult, BarsQuery, Unsubscribe } from './core/broker/port.js';
