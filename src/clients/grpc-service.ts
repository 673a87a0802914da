// gRPC client constructors from proto text, with protobufjs alone. @grpc/proto-loader built the same
// service definitions plus a reflection descriptor of every message and file, which nothing here reads
// and which was most of its cost (~25 ms of every command that reads the runtime, and of the TUI's
// start). Messages come and go exactly as proto-loader made them: fromObject then encode; decode then
// toObject with camelCase fields (the parse's keepCase: false), enums as names, int64 as decimal
// strings, defaults filled in, oneofs named.
import type * as grpc from '@grpc/grpc-js';
import { makeGenericClientConstructor } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value))
      throw new Error(
        `Failed to serialize message: expected object with ${type.name} structure, got array instead`,
      );
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}

/** Each named service (full name, e.g. runtime.v1.RuntimeService) of the proto, as a client constructor. */
export function serviceClients(
  proto: string,
  services: string[],
): Map<string, grpc.ServiceClientConstructor> {
  const root = protobuf.parse(proto, { keepCase: false }).root;
  root.resolveAll();
  const out = new Map<string, grpc.ServiceClientConstructor>();
  for (const fullName of services) {
    const service = root.lookupService(fullName);
    const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
    for (const method of service.methodsArray) {
      const request = method.resolvedRequestType!;
      const response = method.resolvedResponseType!;
      definition[method.name] = {
        path: `/${fullName}/${method.name}`,
        requestStream: Boolean(method.requestStream),
        responseStream: Boolean(method.responseStream),
        requestSerialize: serializer(request),
        requestDeserialize: deserializer(request),
        responseSerialize: serializer(response),
        responseDeserialize: deserializer(response),
        // proto-loader's lodash.camelCase of the name: the client answers to both spellings.
        originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
      };
    }
    out.set(fullName, makeGenericClientConstructor(definition, service.name));
  }
  return out;
}
