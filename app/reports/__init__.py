"""What managers read weekly: conversion per stage and manager against targets."""
