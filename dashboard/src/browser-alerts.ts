/**
 * Browser notifications for the control room (per user, opt-in, kept in localStorage):
 * an alert that fires or escalates while the tab is in the background
 * (document.visibilityState "hidden") shows a system notification with its title and
 * place; clicking it focuses the window and the alert. An optional beep (WebAudio, off
 * by default) sounds with it. The Notification API asks the browser's permission the
 * first time the toggle is switched on (a user gesture, as browsers require).
 */
import { AlertAnnouncer, type Announcement } from './alert-announcements.ts';
import { h } from './dom.ts';
import type { Alert } from './types.ts';

interface Prefs { browser: boolean; sound: boolean }

export interface BrowserAlerts {
  el: HTMLElement;
  /** The alerts stream's rows, after every change. */
  observe(rows: readonly Alert[]): void;
}

const storageKey = (userId: string): string => `hotwatch.browser-alerts.${userId}`;

function loadPrefs(userId: string): Prefs {
  try {
    const v = JSON.parse(localStorage.getItem(storageKey(userId)) ?? '{}') as Partial<Prefs>;
    return { browser: v.browser === true, sound: v.sound === true };
  } catch {
    return { browser: false, sound: false };
  }
}

export function createBrowserAlerts(opts: {
  userId: string;
  /** Where the alert is, in words (the hotspot's place), if known. */
  placeOf(alert: Alert): string | null;
  /** Show and focus the alert (the click on a notification). */
  open(alertId: number): void;
}): BrowserAlerts {
  const supported = typeof window.Notification === 'function';
  const prefs = loadPrefs(opts.userId);
  const save = (): void => localStorage.setItem(storageKey(opts.userId), JSON.stringify(prefs));
  const announcer = new AlertAnnouncer(Date.now());
  let audio: AudioContext | null = null;

  const browserBox = h('input', { type: 'checkbox', id: 'browser-alerts-toggle' });
  const soundBox = h('input', { type: 'checkbox', id: 'browser-alerts-sound' });
  const note = h('span', { class: 'muted small', id: 'browser-alerts-note', role: 'status' });
  browserBox.checked = supported && prefs.browser && Notification.permission === 'granted';
  soundBox.checked = prefs.sound;
  browserBox.disabled = !supported;
  if (!supported) note.textContent = 'This browser has no notifications.';

  browserBox.addEventListener('change', () => {
    prefs.browser = browserBox.checked;
    save();
    if (!browserBox.checked) return void (note.textContent = '');
    void Notification.requestPermission().then((p) => {
      if (p === 'granted') note.textContent = 'Alerts that fire while this tab is in the background will notify you.';
      else {
        browserBox.checked = prefs.browser = false;
        save();
        note.textContent = 'The browser did not allow notifications for this page.';
      }
    });
  });
  soundBox.addEventListener('change', () => {
    prefs.sound = soundBox.checked;
    save();
    // Created in the click (a user gesture), so it may play later from the background.
    if (prefs.sound && !audio) audio = new AudioContext();
  });

  const beep = (): void => {
    if (!prefs.sound) return;
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  };

  const show = ({ event, alert }: Announcement): void => {
    const place = opts.placeOf(alert);
    const n = new Notification(`${event === 'fired' ? 'Alert fired' : 'Alert escalated'}: ${alert.title}`, {
      body: [place, `${alert.severity} ${alert.category}`].filter(Boolean).join(' · '),
      tag: `hotwatch-alert-${alert.id}`,
    });
    n.addEventListener('click', () => {
      window.focus();
      opts.open(alert.id);
      n.close();
    });
    beep();
  };

  return {
    el: h('div', { class: 'browser-alerts toggle-row' },
      h('span', { class: 'toggle' }, browserBox, h('label', { for: 'browser-alerts-toggle' }, 'Browser notifications')),
      h('span', { class: 'toggle' }, soundBox, h('label', { for: 'browser-alerts-sound' }, 'Sound')),
      note),
    observe(rows) {
      const due = announcer.next(rows);
      if (!supported || !prefs.browser || Notification.permission !== 'granted' || document.visibilityState !== 'hidden') return;
      due.forEach(show);
    },
  };
}
