/**
 * The event hub's subscriptions to every type but some (the engine's live
 * metrics), and the interest flags emitters read to skip building events
 * nobody gets.
 */
import { describe, expect, it } from 'vitest'
import type { RunId } from '../../src/core/ids.js'
import { EventHub } from '../../src/runtime/event-hub.js'
import type { WeftEvent } from '../../src/runtime/run-events.js'

const runId = 'r-1' as RunId
const started: WeftEvent = { type: 'task.started', at: 1, runId, workflow: 'orders', task: 'charge' }
const runStarted: WeftEvent = { type: 'run.started', at: 1, runId, workflow: 'orders', version: 1 }

function hub(): EventHub {
  return new EventHub((error) => {
    throw error
  })
}

describe('the event hub', () => {
  it('delivers to a listener of every type but some only the other types, and emitters see nobody wants the excluded ones', () => {
    const events = hub()
    const heard: string[] = []
    const stop = events.onAllBut(['task.started'], (event) => heard.push(event.type))
    const startedInterest = events.interestIn('task.started')
    expect(startedInterest.listening).toBe(false)
    expect(events.listeningTo('task.started')).toBe(false)
    expect(events.listeningTo('run.started')).toBe(true)
    events.emit(started)
    events.emit(runStarted)
    expect(heard).toEqual(['run.started'])
    stop()
    expect(events.listeningTo('run.started')).toBe(false)
  })

  it('keeps an interest flag current as listeners of its type, of every type and of every type but some come and go', () => {
    const events = hub()
    const interest = events.interestIn('task.started')
    const stops = [events.on('task.started', () => undefined)]
    expect(interest.listening).toBe(true)
    stops.pop()!()
    expect(interest.listening).toBe(false)
    stops.push(events.on(() => undefined))
    expect(interest.listening).toBe(true)
    stops.pop()!()
    stops.push(events.onAllBut(['task.completed'], () => undefined))
    expect(interest.listening).toBe(true)
    stops.pop()!()
    expect(interest.listening).toBe(false)
  })

  it('calls the listeners of every type but some before the others', () => {
    const events = hub()
    const order: string[] = []
    events.on(() => order.push('every'))
    events.on('run.started', () => order.push('typed'))
    events.onAllBut(['task.started'], () => order.push('all but'))
    events.emit(runStarted)
    expect(order).toEqual(['all but', 'every', 'typed'])
  })
})
