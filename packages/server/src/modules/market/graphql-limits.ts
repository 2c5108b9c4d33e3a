import {
  type ASTNode,
  type ASTVisitor,
  type ArgumentNode,
  type DocumentNode,
  type ValueNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';

export interface QueryLimits {
  /** Deepest nesting of selections (the operation's own fields are depth 1). */
  readonly maxDepth: number;
  /** Most fields a query may resolve, counting each field under a list once per item the list may hold. */
  readonly maxComplexity: number;
}

/** What a list field without a `limit` argument is taken to hold. */
const DEFAULT_LIST_SIZE = 20;
/** Lists never hold more than this whatever `limit` says (the resolvers clamp to it too). */
const MAX_LIST_SIZE = 100;

/**
 * GraphQL validation rules that refuse a query before anything runs: too
 * deep (nested selections, fragments followed, cycles cut), or too costly
 * (fields × list sizes, so `listings(limit: 100) { seller { listings(limit:
 * 100) { … } } }` counts as the ten thousand fields it would resolve).
 * Both answer QUERY_TOO_COMPLEX in the error's `extensions.code`. Depth
 * is a validation rule; the cost is checked once the variables are known
 * (mercurius' preExecution hook), so a `limit` passed as a variable counts
 * as what it is.
 */
export function queryDepthRules(limits: QueryLimits): ((context: ValidationContext) => ASTVisitor)[] {
  return [
    (context) => ({
      OperationDefinition(operation: OperationDefinitionNode) {
        const depth = depthOf(operation.selectionSet, fragmentsOf(context.getDocument()), new Set());
        if (depth > limits.maxDepth) context.reportError(tooComplex(`The query is ${depth} levels deep; at most ${limits.maxDepth} are allowed`, operation));
      },
    }),
  ];
}

/**
 * The cost check, once the variables are known (before execution): a
 * `limit` given as a variable counts as its value. Throws QUERY_TOO_COMPLEX.
 */
export function checkQueryCost(schema: GraphQLSchema, document: DocumentNode, variables: Readonly<Record<string, unknown>> | undefined, limits: QueryLimits): void {
  const fragments = fragmentsOf(document);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = definition.operation === 'mutation' ? schema.getMutationType() : definition.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
    if (!root) continue;
    const cost = costOf(schema, definition.selectionSet, root, fragments, new Set(), variables ?? {});
    if (cost > limits.maxComplexity) throw tooComplex(`The query would cost ${cost}; at most ${limits.maxComplexity} is allowed`, definition);
  }
}

const tooComplex = (message: string, node: OperationDefinitionNode | ASTNode) => new GraphQLError(message, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } });

/** The `limit` a field asks for, directly or in its `input` object, literal or from a variable. */
function askedSize(args: readonly ArgumentNode[], variables: Readonly<Record<string, unknown>>): number | undefined {
  const bounded = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(Math.trunc(value), 1), MAX_LIST_SIZE) : undefined);
  const literal = (node: ValueNode): unknown => (node.kind === Kind.VARIABLE ? variables[node.name.value] : node.kind === Kind.INT ? Number(node.value) : undefined);
  for (const argument of args) {
    if (argument.name.value === 'limit') return bounded(literal(argument.value)) ?? MAX_LIST_SIZE;
    if (argument.name.value !== 'input') continue;
    if (argument.value.kind === Kind.OBJECT) {
      const limit = argument.value.fields.find((field) => field.name.value === 'limit');
      return limit ? (bounded(literal(limit.value)) ?? MAX_LIST_SIZE) : undefined;
    }
    const input = literal(argument.value) as { limit?: unknown } | undefined;
    return input && input.limit !== undefined ? (bounded(input.limit) ?? MAX_LIST_SIZE) : undefined;
  }
  return undefined;
}

function fragmentsOf(document: DocumentNode): ReadonlyMap<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) map.set(definition.name.value, definition);
  return map;
}

function depthOf(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, visiting: Set<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, visiting) : 0));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, visiting));
    } else {
      const fragment = fragments.get(selection.name.value);
      // A fragment spread inside itself is refused by the standard rules; here it only stops the walk.
      if (!fragment || visiting.has(fragment.name.value)) continue;
      visiting.add(fragment.name.value);
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, visiting));
      visiting.delete(fragment.name.value);
    }
  }
  return deepest;
}

function costOf(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  variables: Readonly<Record<string, unknown>>,
  inherited?: number,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const asked = askedSize(selection.arguments ?? [], variables);
      // A list's size is its own limit, or the limit its parent field was asked for (search(input: {limit})).
      const size = isListType(getNullableType(field.type)) ? (asked ?? inherited ?? DEFAULT_LIST_SIZE) : 1;
      const child = selection.selectionSet
        ? costOf(schema, selection.selectionSet, getNamedType(field.type), fragments, visiting, variables, isListType(getNullableType(field.type)) ? undefined : asked)
        : 0;
      total += size * (1 + child);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const onType = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? parent) : parent;
      total += costOf(schema, selection.selectionSet, onType, fragments, visiting, variables, inherited);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) continue;
      visiting.add(fragment.name.value);
      total += costOf(schema, fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, fragments, visiting, variables, inherited);
      visiting.delete(fragment.name.value);
    }
  }
  return total;
}
