// The screens. Hash history: the app is served from Tauri's own protocol.
import { createRouter, createWebHashHistory } from "vue-router";
import HomeView from "./views/HomeView.vue";

export const routes = [
  { path: "/", name: "home", component: HomeView },
  { path: "/households", name: "households", component: () => import("./views/HouseholdsView.vue") },
  { path: "/households/:id", name: "household", component: () => import("./views/HouseholdDetailView.vue") },
  { path: "/entry", name: "entry", component: () => import("./views/EntryView.vue") },
  { path: "/sync", name: "sync", component: () => import("./views/SyncView.vue") },
  { path: "/conflicts", name: "conflicts", component: () => import("./views/ConflictsView.vue") },
  { path: "/export", name: "export", component: () => import("./views/ExportView.vue") },
  { path: "/settings", name: "settings", component: () => import("./views/SettingsView.vue") },
];

export function makeRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
