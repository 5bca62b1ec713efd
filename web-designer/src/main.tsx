import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
// The CJK font is bundled (split by unicode-range: a page loads only the glyphs it shows).
import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/600.css';
import './app.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
