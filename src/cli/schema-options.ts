/**
 * Command-line arguments and options generated from a zod object in
 * core/models.ts, so the CLI never restates a shape.
 *
 * Every field of the schema becomes either a positional argument or the
 * option `--kebab-case-of-the-field`, described by the field's own
 * description, offering the enum's values and showing the default the schema
 * declares. Reading the command line back into the schema's input is one
 * generic loop. A field added to OrderSpec therefore gets its `preview` /
 * `place` option with no CLI edit (schema-options.test.ts proves that every
 * field has one).
 *
 * Values are converted here only as far as their kind (a number must be a
 * number, an enum value one of its values, case-insensitively): a malformed
 * value is a usage error (exit 2) naming the option. Everything else (ranges,
 * cross-field rules) is the core's validation, which names the field.
 */
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';

type Kind = 'string' | 'number' | 'boolean';
type Value = string | number | boolean;

/** One field as the command line sees it; `field` is where its value goes in the input. */
export interface SchemaField {
  readonly field: string;
  readonly kind: Kind;
  readonly description: string;
  readonly choices: readonly string[] | undefined;
  readonly defaultValue: Value | undefined;
}

export interface SchemaOption extends SchemaField {
  /** The long flag: `--limit-price`, or `--no-use-rth` for a boolean that defaults to true. */
  readonly flag: string;
  /** An earlier, shorter spelling that keeps working (hidden from help, named in the description). */
  readonly alias: string | undefined;
}

export interface SchemaFields<S extends z.ZodObject = z.ZodObject> {
  readonly schema: S;
  readonly arguments: readonly SchemaField[];
  readonly options: readonly SchemaOption[];
}

export interface SchemaFieldsSpec<S extends z.ZodObject> {
  /** Fields given as positional arguments, in order. */
  arguments?: readonly (keyof S['shape'] & string)[];
  /** Fields the command takes some other way (left out of both lists). */
  omit?: readonly (keyof S['shape'] & string)[];
  /** field -> an earlier flag spelling kept as a hidden alias. */
  aliases?: Readonly<Record<string, string>>;
  /** field -> a default the CLI applies where the schema has none (e.g. orderType MKT). */
  defaults?: Readonly<Record<string, Value>>;
}

// What the JSON Schema of one input field must look like for the CLI to offer it.
const FieldSchema = z.object({
  type: z.enum(['string', 'number', 'integer', 'boolean']),
  enum: z.array(z.string()).optional(),
  description: z.string().optional(),
});

const OptionValue = z.union([z.string(), z.number(), z.boolean()]);

/** The schema's `.default(...)` of a field. Read from zod, not the JSON Schema, which leaves it out when the field transforms its input. */
function declaredDefault(field: z.ZodType | undefined): Value | undefined {
  if (!(field instanceof z.ZodDefault)) return undefined;
  const parsed = OptionValue.safeParse(field.def.defaultValue);
  return parsed.success ? parsed.data : undefined;
}

const kebab = (field: string): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const words = (field: string): string => kebab(field).replace(/-/g, ' ');

/** The command-line view of `schema`'s input fields (via its JSON Schema, the same one OpenAPI shows). */
export function schemaFields<S extends z.ZodObject>(schema: S, spec: SchemaFieldsSpec<S> = {}): SchemaFields<S> {
  const properties = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }).properties ?? {};
  const shape: Readonly<Record<string, z.ZodType>> = schema.shape;
  const positional: readonly string[] = spec.arguments ?? [];
  const omitted: readonly string[] = spec.omit ?? [];
  const fields = new Map<string, SchemaField>();
  for (const [field, property] of Object.entries(properties)) {
    if (omitted.includes(field)) continue;
    const parsed = FieldSchema.safeParse(property);
    if (!parsed.success) throw new Error(`${field}: the CLI cannot offer this field as an option (${parsed.error.issues[0]?.message ?? 'unsupported schema'})`);
    const p = parsed.data;
    fields.set(field, {
      field,
      kind: p.type === 'integer' ? 'number' : p.type,
      description: p.description ?? words(field),
      choices: p.enum,
      defaultValue: spec.defaults?.[field] ?? declaredDefault(shape[field]),
    });
  }
  const args = positional.map((field) => {
    const f = fields.get(field);
    if (f === undefined) throw new Error(`${field} is not a field of the schema`);
    return f;
  });
  const options = [...fields.values()]
    .filter((f) => !positional.includes(f.field))
    .map((f): SchemaOption => ({ ...f, flag: f.kind === 'boolean' && f.defaultValue === true ? `--no-${kebab(f.field)}` : `--${kebab(f.field)}`, alias: spec.aliases?.[f.field] }));
  return { schema, arguments: args, options };
}

/** The text -> value conversion of one field; a malformed value is commander's usage error. */
function converter(f: SchemaField): (raw: string) => Value {
  if (f.choices !== undefined) {
    const choices = f.choices;
    return (raw) => {
      const match = choices.find((c) => c.toLowerCase() === raw.trim().toLowerCase());
      if (match === undefined) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
      return match;
    };
  }
  if (f.kind === 'number') {
    return (raw) => {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('Not a number.');
      return n;
    };
  }
  return (raw) => raw;
}

/** An option whose value lands under the schema's field name, whatever its flag is spelled. */
class FieldOption extends Option {
  constructor(
    flags: string,
    description: string,
    private readonly field: string,
  ) {
    super(flags, description);
  }

  override attributeName(): string {
    return this.field;
  }
}

function optionsOf(o: SchemaOption): Option[] {
  const placeholder = o.kind === 'boolean' ? '' : o.choices !== undefined ? ' <choice>' : o.kind === 'number' ? ' <number>' : ' <text>';
  const negated = o.flag.startsWith('--no-');
  const described = negated ? `turns off: ${o.description} (on by default)` : o.description;
  const description = o.alias === undefined ? described : `${described} (or ${o.alias})`;
  const main = new FieldOption(`${o.flag}${placeholder}`, description, o.field);
  const alias = o.alias === undefined ? undefined : new FieldOption(`${o.alias}${placeholder}`, description, o.field).hideHelp();
  for (const option of alias === undefined ? [main] : [main, alias]) {
    if (o.kind === 'boolean') continue;
    if (o.choices !== undefined) option.choices(o.choices);
    option.argParser(converter(o));
  }
  if (o.defaultValue !== undefined && !negated) main.default(o.defaultValue);
  return alias === undefined ? [main] : [main, alias];
}

/** Adds the positional arguments and the options of `fields` to `cmd`. */
export function addSchemaFields(cmd: Command, fields: SchemaFields): Command {
  for (const a of fields.arguments) {
    const argument = new Argument(`<${kebab(a.field)}>`, a.choices === undefined ? a.description : `${a.description}: ${a.choices.join(' | ')}`);
    if (a.kind !== 'string' || a.choices !== undefined) argument.argParser(converter(a));
    cmd.addArgument(argument);
  }
  for (const o of fields.options) for (const option of optionsOf(o)) cmd.addOption(option);
  return cmd;
}

/**
 * The schema's input from a parsed command: positional arguments by position,
 * options by field name; unset options are left out so the schema's defaults apply.
 */
export function inputFrom<S extends z.ZodObject>(fields: SchemaFields<S>, args: readonly unknown[], values: Readonly<Record<string, unknown>>): z.input<S> {
  const input: Record<string, unknown> = {};
  fields.arguments.forEach((a, i) => {
    if (args[i] !== undefined) input[a.field] = args[i];
  });
  for (const o of fields.options) if (values[o.field] !== undefined) input[o.field] = values[o.field];
  // Shaped, not validated: the core parses it with the schema and names any bad field.
  return input as z.input<S>;
}
