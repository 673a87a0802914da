// Where the system bus is: apart from the client (systemd-bus.ts), so that naming the bus does not load
// dbus-native (`status` says where it is and never dials it).

export const DEFAULT_SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

/** DBUS_SYSTEM_BUS_ADDRESS, else the well-known system bus socket. */
export function systemBusAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS_ADDRESS;
}
