import streamlit as st

st.title("Borger")
st.info("Siden er under opbygning.")
