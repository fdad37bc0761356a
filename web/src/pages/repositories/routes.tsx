import type { AreaRoutes } from "../../app/route-types";
import "./repositories.css";
import { RepositoryList } from "./RepositoryList";
import { RepositoryPage } from "./RepositoryPage";

export const routes: AreaRoutes = {
  nav: [{ label: "Repositories", to: "/repositories", operations: ["ListDockerRepositories"] }],
  pages: [
    { path: "/repositories", render: () => <RepositoryList /> },
    // keyed by name: another repository is a fresh page, never the old one's state
    { path: "/repositories/:name*", render: ({ name }) => <RepositoryPage key={name} name={name ?? ""} /> },
  ],
};
