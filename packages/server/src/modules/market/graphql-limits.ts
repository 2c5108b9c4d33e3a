import {
  type ASTVisitor,
  type ArgumentNode,
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
 * Both answer QUERY_TOO_COMPLEX in the error's `extensions.code`.
 */
export function queryLimitRules(limits: QueryLimits): ((context: ValidationContext) => ASTVisitor)[] {
  return [
    (context) => ({
      OperationDefinition(operation: OperationDefinitionNode) {
        const fragments = fragmentsOf(context);
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > limits.maxDepth) {
          context.reportError(tooComplex(`The query is ${depth} levels deep; at most ${limits.maxDepth} are allowed`, operation));
          return;
        }
        const root = operation.operation === 'mutation' ? context.getSchema().getMutationType() : context.getSchema().getQueryType();
        if (!root) return;
        const cost = costOf(context.getSchema(), operation.selectionSet, root, fragments, new Set());
        if (cost > limits.maxComplexity) context.reportError(tooComplex(`The query would cost ${cost}; at most ${limits.maxComplexity} is allowed`, operation));
      },
    }),
  ];
}

const tooComplex = (message: string, node: OperationDefinitionNode) => new GraphQLError(message, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } });

/** The `limit` a field asks for, directly or in its `input` object; a variable counts as the largest list. */
function askedSize(args: readonly ArgumentNode[]): number | undefined {
  for (const argument of args) {
    let value: ValueNode | undefined;
    if (argument.name.value === 'limit') value = argument.value;
    else if (argument.name.value === 'input' && argument.value.kind === Kind.OBJECT) value = argument.value.fields.find((field) => field.name.value === 'limit')?.value;
    else if (argument.name.value === 'input' && argument.value.kind === Kind.VARIABLE) return MAX_LIST_SIZE;
    if (!value) continue;
    if (value.kind === Kind.INT) return Math.min(Math.max(Number(value.value), 1), MAX_LIST_SIZE);
    return MAX_LIST_SIZE;
  }
  return undefined;
}

function fragmentsOf(context: ValidationContext): ReadonlyMap<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) map.set(definition.name.value, definition);
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
  inherited?: number,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const asked = askedSize(selection.arguments ?? []);
      // A list's size is its own limit, or the limit its parent field was asked for (search(input: {limit})).
      const size = isListType(getNullableType(field.type)) ? (asked ?? inherited ?? DEFAULT_LIST_SIZE) : 1;
      const child = selection.selectionSet
        ? costOf(schema, selection.selectionSet, getNamedType(field.type), fragments, visiting, isListType(getNullableType(field.type)) ? undefined : asked)
        : 0;
      total += size * (1 + child);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const onType = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? parent) : parent;
      total += costOf(schema, selection.selectionSet, onType, fragments, visiting, inherited);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) continue;
      visiting.add(fragment.name.value);
      total += costOf(schema, fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, fragments, visiting, inherited);
      visiting.delete(fragment.name.value);
    }
  }
  return total;
}
