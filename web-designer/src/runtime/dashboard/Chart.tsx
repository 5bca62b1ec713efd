// A card drawn as a chart with ECharts, loaded only with a dashboard and tree-shaken to
// the charts used. The bars' sizes are numbers (a drawing needs them); every figure shown
// — axis labels aside — is the answer's exact string in words. A click on a bar, slice or
// point drills to the row's records.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, FunnelChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { Answer } from './answer';
import { keyText, valueText } from './answer';
import type { Language } from '../../i18n';
import { label } from '../../i18n';
import { FONTS } from '../App';

echarts.use([BarChart, LineChart, PieChart, FunnelChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

interface Props {
  answer: Answer;
  kind: string;
  language: Language;
  /// Says the chart in words, for readers who do not see it.
  title: string;
  onDrill: (row: number) => void;
}

export function Chart({ answer, kind, language, title, onDrill }: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const chart = echarts.init(host.current, undefined, { renderer: 'svg' });
    chart.setOption(option(answer, kind, language, title));
    chart.on('click', (e) => {
      const index = (e.data as { row?: number } | undefined)?.row ?? e.dataIndex;
      if (typeof index === 'number') onDrill(index);
    });
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(host.current);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, [answer, kind, language, title, onDrill]);
  return <div ref={host} style={{ width: '100%', height: '100%', minHeight: 180 }} />;
}

/// The chart's option: the first dimension along the axis (or the slices), the second (a
/// stacked bar's) as series, the first measure as the size.
function option(answer: Answer, kind: string, language: Language, title: string): echarts.EChartsCoreOption {
  const dims = answer.columns.filter((c) => c.role === 'dimension');
  const measures = answer.columns.filter((c) => c.role === 'measure');
  const first = measures[0];
  const m = dims.length;
  const name = (c: (typeof answer.columns)[number] | undefined) => (c ? label(c.label ?? undefined, language) || c.key : '');
  const keyOf = (row: number, d: number) => keyText(dims[d], answer.rows[row]?.keys[d], language, '—');
  const exact = (row: number) => valueText(first, answer.rows[row]?.values[0]);
  const size = (row: number) => Number(answer.rows[row]?.values[0] ?? 0);
  const tooltip = {
    trigger: 'item',
    formatter: (p: { data?: { row?: number }; dataIndex: number; seriesName?: string }) => {
      const row = p.data?.row ?? p.dataIndex;
      const keys = dims.map((_, d) => keyOf(row, d)).join(' · ');
      return `${keys}<br/>${measures.map((c, i) => `${name(c)}: ${valueText(c, answer.rows[row]?.values[i])}`).join('<br/>')}`;
    },
  };
  const aria = { enabled: true, label: { description: title } };
  // The app's own font (bundled), so Chinese labels draw in the chart as on the page.
  const textStyle = { fontFamily: FONTS };
  const rows = answer.rows.map((_, i) => i);
  if (kind === 'pie' || kind === 'funnel') {
    return {
      aria, textStyle, tooltip,
      // Each slice named with its exact figure in the legend, which wraps onto more lines
      // rather than cutting a name or a figure off in a narrow card.
      legend: { bottom: 0, type: 'plain', formatter: (slice: string) => {
        const row = rows.find((r) => keyOf(r, 0) === slice);
        return row === undefined ? slice : `${slice}  ${exact(row)}`;
      } },
      series: [{
        type: kind, name: name(first), radius: kind === 'pie' ? ['30%', '55%'] : undefined, top: 8, bottom: 56,
        label: { show: kind === 'funnel', fontSize: 11, formatter: (p: { data: { row: number } }) => keyOf(p.data.row, 0) },
        data: rows.map((row) => ({ row, name: keyOf(row, 0), value: size(row) })),
      }],
    };
  }
  if (kind === 'scatter' && measures.length >= 2) {
    return {
      aria, textStyle, tooltip, xAxis: { type: 'value', name: name(measures[0]) }, yAxis: { type: 'value', name: name(measures[1]) },
      series: [{ type: 'scatter', data: rows.map((row) => ({ row, value: [size(row), Number(answer.rows[row]?.values[1] ?? 0)] })) }],
    };
  }
  const categories = [...new Set(rows.map((row) => keyOf(row, 0)))];
  const stacked = kind === 'stacked_bar' && m >= 2;
  const groups = stacked ? [...new Set(rows.map((row) => keyOf(row, 1)))] : [name(first)];
  const series = groups.map((group) => ({
    // A line of one point draws nothing to see: one bucket is a bar.
    type: (kind === 'line' || kind === 'area') && categories.length > 1 ? 'line' : 'bar',
    name: group,
    stack: stacked ? 'all' : undefined,
    areaStyle: kind === 'area' ? {} : undefined,
    // A month of one point still shows as a point.
    showSymbol: true,
    symbol: 'circle',
    symbolSize: 8,
    showAllSymbol: true,
    data: categories.map((category) => {
      const row = rows.find((r) => keyOf(r, 0) === category && (!stacked || keyOf(r, 1) === group));
      return row === undefined ? null : { row, value: size(row) };
    }),
  }));
  return {
    aria, textStyle, tooltip, legend: stacked ? { bottom: 0, type: 'scroll' } : undefined,
    grid: { left: 8, right: 16, top: 16, bottom: stacked ? 40 : 8, containLabel: true },
    xAxis: { type: 'category', data: categories, axisLabel: { interval: 0, hideOverlap: true } },
    // A count (or any measure of no places) is ticked in whole numbers.
    yAxis: { type: 'value', minInterval: (first?.scale ?? 0) === 0 ? 1 : undefined, axisLabel: { formatter: (v: number) => compact(v, language) } },
    series,
  };
}

/// An axis tick in few characters (1.2亿, 3.4M): a scale, not a figure read as exact.
function compact(v: number, language: Language): string {
  return new Intl.NumberFormat(language, { notation: 'compact', maximumFractionDigits: 1 }).format(v);
}
