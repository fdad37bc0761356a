// A small JSON Schema (2020-12) validator for the subset the OpenAPI document uses: type, enum,
// const, properties/required/additionalProperties, items, anyOf/oneOf/allOf, numeric and string
// bounds, pattern, format date-time, local $ref. Returns what does not fit, with its location.

type Schema = Record<string, any>;

export function validateSchema(value: unknown, schema: Schema, root: Schema, at = "$"): string[] {
  if (schema.$ref !== undefined) {
    const target = resolve(root, schema.$ref as string);
    if (!target) return [`${at}: unresolvable $ref ${schema.$ref}`];
    return validateSchema(value, target, root, at);
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => isType(value, t))) return [`${at}: expected ${types.join(" or ")}, got ${JSON.stringify(value)?.slice(0, 80)}`];
  }
  if (schema.enum !== undefined && !schema.enum.some((e: unknown) => e === value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (schema.const !== undefined && schema.const !== value) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.anyOf && !schema.anyOf.some((s: Schema) => validateSchema(value, s, root, at).length === 0)) errors.push(`${at}: fits none of anyOf`);
  if (schema.oneOf && schema.oneOf.filter((s: Schema) => validateSchema(value, s, root, at).length === 0).length !== 1) errors.push(`${at}: fits not exactly one of oneOf`);
  for (const s of schema.allOf ?? []) errors.push(...validateSchema(value, s, root, at));
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) errors.push(`${at}: does not match ${schema.pattern}`);
    if (schema.format === "date-time" && !(ISO_UTC.test(value) && !Number.isNaN(Date.parse(value)))) errors.push(`${at}: not an ISO-8601 UTC time: ${value}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((item, i) => errors.push(...validateSchema(item, schema.items, root, `${at}[${i}]`)));
  }
  if (isType(value, "object")) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) errors.push(`${at}: missing "${key}"`);
    const properties: Record<string, Schema> = schema.properties ?? {};
    for (const [key, field] of Object.entries(object)) {
      if (properties[key]) errors.push(...validateSchema(field, properties[key], root, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: undescribed field "${key}"`);
      else if (typeof schema.additionalProperties === "object") errors.push(...validateSchema(field, schema.additionalProperties, root, `${at}.${key}`));
    }
  }
  return errors;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    default:
      return typeof value === type;
  }
}

function resolve(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: any = root;
  for (const part of ref.slice(2).split("/")) node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node;
}
