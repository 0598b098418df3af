import { isJsonObject } from "../json-object.ts";

/**
 * The operator's OpenAPI document with no server named in it: one it names is
 * often the origin's own address, which the document, served by the paywall,
 * must not give away (a client could go round the paywall). With none,
 * OpenAPI's default is the host the document came from: the paywall. Taken,
 * in place, from every object OpenAPI 3.1 lets name one: the document, its
 * path items (under `paths`, `webhooks`, `components.pathItems` and
 * callbacks), their operations, and links (`server`).
 */
export function withoutServers<T extends object>(document: T): T {
  const root = document as Json;
  delete root["servers"];
  eachObject(root["paths"], pathItem);
  eachObject(root["webhooks"], pathItem);
  const components = root["components"];
  if (isObject(components)) {
    eachObject(components["pathItems"], pathItem);
    eachObject(components["callbacks"], callback);
    eachObject(components["responses"], response);
    eachObject(components["links"], link);
  }
  return document;
}

type Json = Record<string, unknown>;
/** OpenAPI 3.1's operations, and 3.2's `query`. */
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace", "query"];
const isObject = isJsonObject as (value: unknown) => value is Json;
const eachObject = (container: unknown, visit: (value: Json) => void): void => {
  if (isObject(container)) for (const value of Object.values(container)) if (isObject(value)) visit(value);
};

function pathItem(item: Json): void {
  delete item["servers"];
  for (const method of METHODS) if (isObject(item[method])) operation(item[method]);
  // OpenAPI 3.2's other methods.
  eachObject(item["additionalOperations"], operation);
}
function operation(op: Json): void {
  delete op["servers"];
  eachObject(op["callbacks"], callback);
  eachObject(op["responses"], response);
}
const callback = (expressions: Json): void => eachObject(expressions, pathItem);
const response = (answer: Json): void => eachObject(answer["links"], link);
function link(target: Json): void {
  delete target["server"];
}
