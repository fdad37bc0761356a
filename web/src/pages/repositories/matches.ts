/** Whether `name` contains `filter`, ignoring case, as the API's `?filter=` decides. */
export function matches(name: string, filter: string): boolean {
  return filter === "" || name.toLowerCase().includes(filter.toLowerCase());
}
