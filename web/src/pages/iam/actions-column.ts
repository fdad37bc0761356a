// The last column of a list: the row's buttons, or no column at all for someone who may use none.
import type { ReactNode } from "react";
import type { Column } from "../../components/DataTable";

export function actionsColumn<T>(shown: boolean | undefined, render: (row: T) => ReactNode): Column<T>[] {
  return shown ? [{ key: "actions", header: "Actions", align: "end", render }] : [];
}
