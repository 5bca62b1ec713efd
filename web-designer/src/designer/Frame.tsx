// What every designer screen is drawn in: its styles (loaded with the designers' code),
// and buttons that say their words as written (an accessible name is what is shown).
import { ConfigProvider } from 'antd';
import type { ReactNode } from 'react';
import './designer.css';

export function Frame({ children }: { children: ReactNode }) {
  return <ConfigProvider button={{ autoInsertSpace: false }}>{children}</ConfigProvider>;
}
