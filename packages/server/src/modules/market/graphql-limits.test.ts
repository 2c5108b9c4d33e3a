import { type GraphQLError, buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkQueryCost, queryDepthRules } from './graphql-limits.js';
import { MARKET_SDL } from './graphql-schema.js';

const schema = buildSchema(MARKET_SDL);
const LIMITS = { maxDepth: 5, maxComplexity: 1000 };
const depthErrors = (query: string) => validate(schema, parse(query), queryDepthRules(LIMITS)).map((error) => error.extensions.code);
const cost = (query: string, variables?: Record<string, unknown>) => {
  try {
    checkQueryCost(schema, parse(query), variables, LIMITS);
    return 'ok';
  } catch (error) {
    return (error as GraphQLError).extensions.code;
  }
};

describe('GraphQL query limits', () => {
  it('counts depth through fields, inline fragments and named fragments', () => {
    expect(depthErrors('{ myStore { listings { seller { id } } } }')).toEqual([]);
    expect(depthErrors('{ myStore { listings { seller { listings { seller { id } } } } } }')).toEqual(['QUERY_TOO_COMPLEX']);
    expect(depthErrors('{ myStore { ... on Seller { listings { ...L } } } } fragment L on Listing { seller { listings { seller { id } } } }')).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('counts each field once per item a list may hold, from a literal limit or a variable', () => {
    expect(cost('{ search(input: {limit: 5}) { listings { id title } } }')).toBe('ok');
    expect(cost('{ search(input: {limit: 100}) { listings { seller { listings(limit: 100) { id } } } } }')).toBe('QUERY_TOO_COMPLEX');
    const query = 'query ($n: Int, $input: SearchInput!) { search(input: $input) { listings { seller { listings(limit: $n) { id } } } } }';
    expect(cost(query, { n: 2, input: { limit: 5 } })).toBe('ok');
    expect(cost(query, { n: 100, input: { limit: 100 } })).toBe('QUERY_TOO_COMPLEX');
    // A list without a limit counts as twenty items.
    expect(cost('{ myOrders(role: BUYER, limit: 100) { steps { step outcome at detail } } }')).toBe('QUERY_TOO_COMPLEX');
  });

  it('counts subscriptions from their own root', () => {
    expect(cost('subscription { myOrderUpdates { state order { listing { title } } } }')).toBe('ok');
    expect(cost('subscription { myOrderUpdates { order { listing { seller { listings(limit: 100) { reviews(limit: 100) { text } } } } } } }')).toBe('QUERY_TOO_COMPLEX');
  });

  it('counts mutations too', () => {
    expect(cost('mutation { openStore(storeName: "x") { id listings(limit: 100) { id reviews(limit: 100) { text } } } }')).toBe('QUERY_TOO_COMPLEX');
  });
});
