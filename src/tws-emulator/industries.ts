/**
 * Industry, category and subcategory of the listed stocks, as IB's contract
 * details carry them (a three-level classification: sector-like industry,
 * industry group, sub-industry). AAPL (Technology / Computers / Computers),
 * NVDA and AMD (Technology / Semiconductors / Electronic Compo-Semicon) were
 * checked against contract-details answers of IB Gateway recorded by public
 * clients (2024-2025); the other rows follow the same scheme as IB shows it
 * for those companies but were not re-checked. ETFs, indices, futures, FX and
 * options are left empty here rather than guessed.
 */
export interface Industry {
  industry: string;
  category: string;
  subcategory: string;
}

const row = (industry: string, category: string, subcategory: string): Industry => ({ industry, category, subcategory });

const SEMIS = row('Technology', 'Semiconductors', 'Electronic Compo-Semicon');
const BANKS = row('Financial', 'Banks', 'Diversified Banking Inst');
const INTERNET_CONTENT = row('Communications', 'Internet', 'Internet Content-Entmnt');

const BY_SYMBOL: Readonly<Record<string, Industry>> = {
  AAPL: row('Technology', 'Computers', 'Computers'),
  MSFT: row('Technology', 'Software', 'Applications Software'),
  NVDA: SEMIS,
  AMD: SEMIS,
  INTC: SEMIS,
  TSLA: row('Consumer, Cyclical', 'Auto Manufacturers', 'Auto-Cars/Light Trucks'),
  AMZN: row('Communications', 'Internet', 'E-Commerce/Products'),
  GOOGL: row('Communications', 'Internet', 'Web Portals/ISP'),
  GOOG: row('Communications', 'Internet', 'Web Portals/ISP'),
  META: INTERNET_CONTENT,
  NFLX: INTERNET_CONTENT,
  CSCO: row('Communications', 'Telecommunications', 'Networking Products'),
  ORCL: row('Technology', 'Software', 'Enterprise Software/Serv'),
  IBM: row('Technology', 'Computers', 'Computer Services'),
  JPM: BANKS,
  BAC: BANKS,
  XOM: row('Energy', 'Oil&Gas', 'Oil Comp-Integrated'),
  JNJ: row('Consumer, Non-cyclical', 'Pharmaceuticals', 'Medical-Drugs'),
  WMT: row('Consumer, Cyclical', 'Retail', 'Retail-Discount'),
  KO: row('Consumer, Non-cyclical', 'Beverages', 'Beverages-Non-alcoholic'),
  DIS: row('Communications', 'Media', 'Multimedia'),
  V: row('Financial', 'Diversified Finan Serv', 'Finance-Credit Card'),
};

const NONE: Industry = row('', '', '');

/** The classification IB shows for a stock; empty strings for anything else. */
export function industryOf(symbol: string, securityType: string): Industry {
  return securityType === 'STK' ? (BY_SYMBOL[symbol] ?? NONE) : NONE;
}
