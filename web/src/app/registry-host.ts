/** The host:port users push to: the console is served by the registry itself. */
export function registryHost(): string {
  return window.location.host;
}
