import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";

export interface DashboardModel {
  layout: Omit<LayoutModel, "title" | "current">;
  counts: { tapes: number; pools: number; jobs: number; sources: number };
}

export function DashboardPage(model: DashboardModel): SafeHtml {
  const { counts } = model;
  const tiles: [string, number][] = [
    ["Tapes", counts.tapes],
    ["Pools", counts.pools],
    ["Jobs", counts.jobs],
    ["Sources", counts.sources],
  ];
  return (
    <Layout {...model.layout} title="Dashboard" current="/">
      <h1>Dashboard</h1>
      <div class="grid">
        {tiles.map(([label, value]) => (
          <section class="card">
            <div class="muted">{label}</div>
            <div class="stat">{value}</div>
          </section>
        ))}
      </div>
      <section class="card">
        <p class="muted">Drives, running jobs and alerts appear here once a drive-agent is enrolled.</p>
      </section>
    </Layout>
  );
}
