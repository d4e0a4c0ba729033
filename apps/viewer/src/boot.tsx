// The app proper (React, the formats, h5web's styles), loaded by ./main.tsx after its head start.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@h5web/lib/styles.css";
import "./style.css";
import { App } from "./app.js";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
